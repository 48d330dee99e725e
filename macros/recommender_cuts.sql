{#- Incremental by cut: every strategy model is keyed by (site_id, cut_at) (models/marts/recommender/
    recommender_cuts.sql). A run computes only the cuts its table does not hold yet; the post-hook
    retire_cuts() deletes the cuts recommender_cuts no longer lists (the previous serving cut, cuts that left
    the hold-out window), so each table holds exactly the current cuts. A full refresh computes them all.
    Changing a knob (a var or seeds/sites.csv) takes effect at the next new cut; --full-refresh applies it to
    every cut. -#}

{#- The rows of recommender_cuts (optionally only those matching `condition`) that a run computes: on an
    incremental run, those the model's table does not hold yet. A whole select, for `cuts as ({{ cuts_to_build() }})`. -#}
{% macro cuts_to_build(condition=none) -%}
    select * from {{ ref('recommender_cuts') }} as cuts
    where
        {{ condition or 'true' }}
        {%- if is_incremental() %}
        and not exists (
            select 1
            from {{ this }} as built
            where built.site_id = cuts.site_id and built.cut_at = cuts.cut_at
        )
        {%- endif %}
{%- endmacro %}

{#- Post-hook of every cut-keyed model: drop the rows of cuts that recommender_cuts no longer lists (on Spark:
    their partitions, macros/spark.sql). -#}
{% macro retire_cuts() -%}
    {{ return(adapter.dispatch('retire_cuts', 'article_recs')()) }}
{%- endmacro %}
{% macro default__retire_cuts() -%}
    delete from {{ this }}
    where not exists (
        select 1
        from {{ ref('recommender_cuts') }} as cuts
        where cuts.site_id = {{ this }}.site_id and cuts.cut_at = {{ this }}.cut_at
    )
{%- endmacro %}

{#- The config of a cut-keyed model (an incremental append of the new cuts, old cuts retired; on Spark an
    insert_overwrite of the new cuts' partitions, macros/spark.sql). -#}
{% macro cut_keyed_config() -%}
    {{ return(adapter.dispatch('cut_keyed_config', 'article_recs')()) }}
{%- endmacro %}
{% macro default__cut_keyed_config() -%}
    {%- if stateful_materialization() == 'incremental' %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        post_hook=["{{ retire_cuts() }}"],
    ) }}
    {%- else %}
    {{ config(materialized=stateful_materialization()) }}
    {%- endif %}
{%- endmacro %}
