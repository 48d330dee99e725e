{#- The related articles a widget would show for one article, from the warehouse: the current models of
    every strategy side by side, with titles. Compile with
    `dbt compile --select current_related_articles --vars '{analysis_site_id: herald, analysis_article_id: "42087"}'`
    and run the SQL in target/compiled/ against the warehouse. -#}
{%- set site_id = var("analysis_site_id", "herald") -%}
{%- set article_id = var("analysis_article_id", "") %}

with

recommendations as (

    select * from {{ ref('current_recommendations') }}

),

articles as (

    select * from {{ ref('articles') }}

),

final as (

    select
        recommendations.strategy,
        recommendations.rank,
        recommendations.recommended_article_id,
        articles.title,
        recommendations.score,
        recommendations.model_id

    from recommendations
    left join articles
        on
            recommendations.site_id = articles.site_id
            and recommendations.recommended_article_id = articles.article_id
    where
        recommendations.site_id = '{{ site_id }}'
        and recommendations.source_entity_type = 'article'
        and recommendations.source_entity_id = '{{ article_id }}'

)

select * from final
order by strategy, rank
