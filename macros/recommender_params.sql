{#- The recommender knobs that seeds/sites.csv may override per site: (column, var) pairs. -#}
{% macro recommender_site_knobs() %}
    {{ return([
        'training_window_days',
        'decay_half_life_days',
        'max_article_age_days',
        'popularity_window_days',
        'popularity_half_life_days',
        'popularity_top_n',
        'min_dwell_s',
        'max_dwell_s',
    ]) }}
{% endmacro %}

{#- The timestamp every window is measured from: the var article_recs__as_of, else the latest event. -#}
{% macro as_of_expression(latest_tstamp) -%}
    {%- if var('article_recs__as_of') -%}
        cast('{{ var("article_recs__as_of") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ latest_tstamp }}
    {%- endif -%}
{%- endmacro %}

{#- Age in days (fractional) between two timestamps. -#}
{% macro age_in_days(from_tstamp, to_tstamp) -%}
    ({{ dbt.datediff(from_tstamp, to_tstamp, 'second') }} / 86400.0)
{%- endmacro %}
