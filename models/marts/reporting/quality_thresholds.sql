{#- The thresholds of the Great Expectations suites (`article-recs quality`) as this build resolved them: the
    project vars, with any --vars override of the run, and the as_of the windows were measured from. One row;
    the suites read it instead of dbt_project.yml, so they check what the models were told to do. -#}

with

sites as (

    select * from {{ ref('recommender_sites') }}

),

final as (

    select
        max(sites.as_of) as as_of,
        cast({{ var('article_recs__heartbeat') }} as {{ dbt.type_int() }}) as heartbeat_s,
        cast({{ var('article_recs__quality_raw_tolerance_pct') }} as {{ dbt.type_float() }})
            as raw_tolerance_pct,
        cast({{ var('article_recs__quality_raw_max_age_days') }} as {{ dbt.type_int() }}) as raw_max_age_days,
        cast({{ var('article_recs__quality_max_dwell_per_read_s') }} as {{ dbt.type_int() }})
            as max_dwell_per_read_s,
        cast({{ var('article_recs__quality_sample_rows') }} as {{ dbt.type_int() }}) as sample_rows

    from sites

)

select * from final
