{#- No leakage in the built ranked strategy: every (site, cut) of ranked_lists that fitted a model learnt from
    cuts whose evaluation window (retrain_hours after the cut) had closed by the cut it scores. One row per
    offending (site, cut). article_recs/recommend/ranker.py (training_rows_before) is the rule; this checks
    the rows the build wrote. -#}
{{ config(enabled=target.type == 'duckdb') }}

with

ranked as (

    select distinct
        site_id,
        cut_at,
        ranker,
        last_training_cut_at

    from {{ ref('ranked_lists') }}

),

cuts as (

    select * from {{ ref('recommender_cuts') }}

),

final as (

    select
        ranked.site_id,
        ranked.cut_at,
        ranked.last_training_cut_at

    from ranked
    inner join cuts
        on
            ranked.site_id = cuts.site_id
            and ranked.cut_at = cuts.cut_at
    where
        ranked.ranker = 'catboost'
        and (
            ranked.last_training_cut_at is null
            or {{ dbt.dateadd('hour', 'cuts.retrain_hours', 'ranked.last_training_cut_at') }} > ranked.cut_at
        )

)

select * from final
