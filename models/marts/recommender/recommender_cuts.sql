{#- The training cuts, one row per (site, cut_at), each with every knob in force for the site
    (recommender_sites). Every strategy model is keyed by (site_id, cut_at) and reads only what happened
    strictly before cut_at; its lists at the serving cut are what is served, its lists at the earlier cuts are
    what the offline evaluation scores (the rolling protocol, models/marts/evaluation).

    - Evaluation cuts: every article_recs__retrain_hours on a grid anchored at midnight UTC (so successive
      runs share their cuts and a two-hourly run computes only the new one), from the first grid point at or
      after as_of - article_recs__holdout_hours up to as_of. Their number is bounded by the hold-out window:
      holdout_hours / retrain_hours + 1 at most.
    - The serving cut: as_of itself (is_serving). When as_of falls on the grid it is also the latest
      evaluation cut: one row, one set of lists.
    - The ranker's training tail: the grid goes on article_recs__ranker_training_hours further back, before
      the hold-out (holdout_start), and article_recs__ranker_refit_hours - retrain_hours more: a cut is scored
      by the model of the latest refit point at or before it, which learns from the next clicks of the
      labelled cuts of the article_recs__ranker_training_hours before it; with the tail, every cut of the
      hold-out has its whole training window, whether the cut was computed incrementally when it was the
      serving cut or from scratch by a full refresh later - the same rows either way. The tail's cuts are
      labelled (is_labelled) but never scored.
    The held-out cases of a grid cut are those in [cut_at, eval_window_end = cut_at + retrain_hours); once the
    window has passed they are the cut's labels (is_labelled: eval_window_end <= as_of), and, for the cuts of
    the hold-out, scored against the cut's lists (is_scored): the latest hours are scored by a later run, when
    the next model has taken over. -#}

{%- set retrain_hours = var('article_recs__retrain_hours') | int %}
{%- set holdout_hours = var('article_recs__holdout_hours') | int %}
{%- set training_hours = var('article_recs__ranker_training_hours') | int %}
{#- a hold-out cut is scored by the ranker refitted at the latest refit point before it (up to refit_hours -
    retrain_hours earlier), which learns from the training_hours before that point -#}
{%- set refit_lag_hours = [var('article_recs__ranker_refit_hours') | int - retrain_hours, 0] | max %}
{%- set tail_hours = training_hours + refit_lag_hours if training_hours > 0 else 0 %}
{%- set n_grid_cuts = ((holdout_hours + tail_hours) // retrain_hours) + 1 %}

with

sites as (

    select * from {{ ref('recommender_sites') }}
    where as_of is not null

),

grid_steps as (

    {{ dbt.generate_series(n_grid_cuts) }}

),

latest_grid_cut as (

    select
        site_id,
        as_of,
        {{ dbt.dateadd(
            'hour',
            'floor(extract(hour from as_of) / ' ~ retrain_hours ~ ') * ' ~ retrain_hours,
            dbt.date_trunc('day', 'as_of'),
        ) }} as grid_cut_at,
        {{ dbt.dateadd('hour', -1 * holdout_hours, 'as_of') }} as holdout_floor,
        {{ dbt.dateadd('hour', -1 * (holdout_hours + tail_hours), 'as_of') }} as tail_floor

    from sites

),

grid_cuts as (

    select
        latest_grid_cut.site_id,
        {{ dbt.dateadd(
            'hour', '-1 * ' ~ retrain_hours ~ ' * (grid_steps.generated_number - 1)', 'latest_grid_cut.grid_cut_at'
        ) }} as cut_at

    from latest_grid_cut
    cross join grid_steps

),

all_cuts as (

    select
        grid_cuts.site_id,
        grid_cuts.cut_at,
        true as is_grid

    from grid_cuts
    inner join latest_grid_cut
        on grid_cuts.site_id = latest_grid_cut.site_id
    where grid_cuts.cut_at >= latest_grid_cut.tail_floor

    union all

    select
        site_id,
        as_of as cut_at,
        false as is_grid

    from sites

),

sequenced as (

    select
        all_cuts.site_id,
        all_cuts.cut_at,
        max(case when all_cuts.is_grid then 1 else 0 end) = 1 as is_grid,
        min(min(case when all_cuts.cut_at >= latest_grid_cut.holdout_floor then all_cuts.cut_at end))
            over (partition by all_cuts.site_id)
            as holdout_start

    from all_cuts
    inner join latest_grid_cut
        on all_cuts.site_id = latest_grid_cut.site_id
    group by all_cuts.site_id, all_cuts.cut_at

),

final as (

    select
        sites.site_id,
        sites.app_id,
        cast(sequenced.cut_at as {{ dbt.type_timestamp() }}) as cut_at,
        sequenced.cut_at = sites.as_of as is_serving,
        case
            when sequenced.is_grid
                then cast({{ dbt.dateadd('hour', retrain_hours, 'sequenced.cut_at') }} as {{ dbt.type_timestamp() }})
        end as eval_window_end,
        coalesce(
            sequenced.is_grid and {{ dbt.dateadd('hour', retrain_hours, 'sequenced.cut_at') }} <= sites.as_of, false
        ) as is_labelled,
        coalesce(
            sequenced.is_grid
            and {{ dbt.dateadd('hour', retrain_hours, 'sequenced.cut_at') }} <= sites.as_of
            and sequenced.cut_at >= sequenced.holdout_start,
            false
        ) as is_scored,
        sites.as_of,
        cast(sequenced.holdout_start as {{ dbt.type_timestamp() }}) as holdout_start,
        {%- for knob in recommender_site_knobs() + recommender_var_knobs() %}
        sites.{{ knob }},
        {%- endfor %}
        sites.dwell_known,
        {{ retrain_hours }} as retrain_hours

    from sequenced
    inner join sites
        on sequenced.site_id = sites.site_id

)

select * from final
