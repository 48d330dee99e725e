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

{#- The recommender knobs that are project vars only (no per-site column in seeds/sites.csv yet): recommender_sites
    and recommender_cuts carry them per site all the same, so the models read every knob from `sites` and a seed
    column can take over later (move the name to recommender_site_knobs). -#}
{% macro recommender_var_knobs() %}
    {{ return([
        'min_article_readers',
        'min_reader_articles',
        'min_reader_total_dwell_s',
        'recs_per_source',
        'knn_max_reads_per_reader',
        'knn_min_co_readers',
        'knn_reader_neighbours',
        'trending_window_hours',
        'trending_half_life_hours',
        'covisitation_window_days',
        'covisitation_half_life_hours',
        'covisitation_max_gap',
    ]) }}
{% endmacro %}

{#- The timestamp every window is measured from: the var article_recs__as_of, else the latest event. A site
    without events (latest_tstamp null) has none either way: no cuts, so no strategy model computes (and, its
    lists being empty, recomputes every run) cuts of a site that has nothing to learn from. -#}
{% macro as_of_expression(latest_tstamp) -%}
    {%- if var('article_recs__as_of') -%}
        case
            when {{ latest_tstamp }} is not null
                then cast('{{ var("article_recs__as_of") }}' as {{ dbt.type_timestamp() }})
        end
    {%- else -%}
        {{ latest_tstamp }}
    {%- endif -%}
{%- endmacro %}

{#- Age in days (fractional) between two timestamps, exact to the millisecond (epoch seconds, not datediff's
    whole-second boundaries), so the SQL models agree with the Python references in article_recs.recommend. -#}
{% macro age_in_days(from_tstamp, to_tstamp) -%}
    (cast({{ epoch_seconds(to_tstamp) }} - {{ epoch_seconds(from_tstamp) }} as {{ type_double() }}) / 86400.0)
{%- endmacro %}
