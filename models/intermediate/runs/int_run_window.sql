{#- The window of this run, decided once, when the run starts (the first Snowplow model of the DAG; every
    model that depends on the window refs this one), from the state the previous runs left:
    - a full run (--full-refresh, a first run, or a selected stateful table missing) reads every partition and
      rebuilds every session;
    - an incremental run reads the load partitions from window_start = the load hour of
      (high-water mark of the last completed run - article_recs__lookback_window_hours) on, and rebuilds the
      sessions with events stored after the last completed run (int_runs_completed, the run manifest): a run
      killed part-way loses nothing, the next one redoes its work.
    run_seq numbers the runs; int_events_deduplicated tags the events each run stored with it. -#}
{%- set state = snowplow_previous_run_state() -%}
{%- set lookback_hours = var('article_recs__lookback_window_hours') -%}
{%- set high_water_mark = state.high_water_mark -%}
{%- set high_water_mark_literal = "'" ~ high_water_mark ~ "'" if high_water_mark is not none else 'null' -%}
-- depends_on: {{ ref('int_runs_completed') }}

with

previous_runs as (

    select
        '{{ invocation_id }}' as run_id,
        {{ state.run_seq }} as run_seq,
        {{ state.last_completed_run_seq }} as last_completed_run_seq,
        {{ 'true' if state.is_full_refresh else 'false' }} as is_full_refresh,
        cast({{ high_water_mark_literal }} as {{ dbt.type_timestamp() }}) as previous_high_water_mark

),

final as (

    select
        run_id,
        run_seq,
        last_completed_run_seq,
        is_full_refresh,
        previous_high_water_mark,
        case
            when not is_full_refresh
                then {{ dbt.date_trunc(
                    'hour', dbt.dateadd('hour', -1 * lookback_hours, 'previous_high_water_mark')
                ) }}
        end as window_start,
        {{ lookback_hours }} as lookback_window_hours,
        {{ var('article_recs__max_session_days') }} as max_session_days,
        '{{ var("article_recs__events_source") }}' as events_source

    from previous_runs

)

select * from final
