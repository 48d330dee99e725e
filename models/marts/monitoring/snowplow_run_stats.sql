{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}

{#- One row per run of the Snowplow models: the window, and the work it did - files and lines read, events
    stored for the first time, late events, sessions rebuilt. A run log: never rebuilt by --full-refresh.
    The cost of a run is what it reads (lines_read, files_read) and rebuilds (sessions_rebuilt). -#}

with

run_window as (

    select * from {{ ref('int_run_window') }}

),

lines as (

    select * from {{ ref('int_events_validated') }}

),

stored_events as (

    -- the event store, imported once per use: a CTE read twice is materialized by DuckDB (the whole
    -- store, every run); read once, it is inlined and each scan reads only its columns and row groups
    select * from {{ ref('int_events_deduplicated') }}

),

store_load_times as (

    select * from {{ ref('int_events_deduplicated') }}

),

outcomes as (

    select * from {{ ref('int_events_load_outcomes') }}

),

sessions_this_run as (

    select * from {{ ref('int_sessions_this_run') }}

),

page_views_this_run as (

    select * from {{ ref('int_page_views_classified') }}

),

line_counts as (

    select
        count(distinct source_file) as files_read,
        count(*) as lines_read,
        sum(case when quarantine_reason is not null then 1 else 0 end) as lines_quarantined,
        sum(case when is_late then 1 else 0 end) as lines_late

    from lines

),

new_events as (

    select
        count(*) as events_stored,
        sum(case when stored_events.is_late then 1 else 0 end) as events_late

    from stored_events
    cross join run_window
    where stored_events.loaded_in_run = run_window.run_seq

),

new_lines_by_file as (

    -- the lines counted for the first time by this run (a file re-read in the lookback adds none)
    select
        outcomes.load_partition,
        sum(outcomes.new_events) as new_lines,
        sum(case when outcomes.outcome like 'quarantined:%' then outcomes.new_events else 0 end)
            as new_lines_quarantined

    from outcomes
    cross join run_window
    where outcomes.counted_in_run = run_window.run_seq
    group by outcomes.load_partition

),

ranked_files as (

    select
        load_partition,
        new_lines,
        new_lines_quarantined,
        row_number() over (order by new_lines_quarantined desc, load_partition asc) as quarantine_rank

    from new_lines_by_file
    where new_lines_quarantined > 0

),

new_lines as (

    select
        sum(new_lines) as new_lines,
        sum(new_lines_quarantined) as new_lines_quarantined

    from new_lines_by_file

),

quarantined_files as (

    -- the five files (partitions) with the most new quarantined lines, for the quarantine-share test
    select
        {{ dbt.listagg(
            "load_partition || ' (' || cast(new_lines_quarantined as " ~ dbt.type_string() ~ ") || ' of '"
            ~ " || cast(new_lines as " ~ dbt.type_string() ~ ") || ')'",
            "', '",
            "order by quarantine_rank",
        ) }} as top_quarantined_files

    from ranked_files
    where quarantine_rank <= 5

),

quarantined_file_count as (

    select count(*) as new_quarantined_files
    from ranked_files

),

high_water_mark as (

    select max(load_tstamp) as high_water_mark
    from store_load_times

),

rebuilt as (

    select
        sum(case when not is_derived_session then 1 else 0 end) as sessions_rebuilt,
        sum(case when is_derived_session then 1 else 0 end) as derived_session_readers_rebuilt

    from sessions_this_run

),

page_views_written as (

    select
        count(*) as page_views_written,
        sum(case when is_known_site and not is_known_host then 1 else 0 end) as page_views_unknown_host
    from page_views_this_run

),

final as (

    select
        run_window.run_id,
        run_window.run_seq,
        run_window.is_full_refresh,
        run_window.events_source,
        run_window.window_start,
        run_window.previous_high_water_mark,
        high_water_mark.high_water_mark,
        line_counts.files_read,
        line_counts.lines_read,
        coalesce(line_counts.lines_quarantined, 0) as lines_quarantined,
        coalesce(line_counts.lines_late, 0) as lines_late,
        new_events.events_stored,
        coalesce(new_events.events_late, 0) as events_late,
        coalesce(rebuilt.sessions_rebuilt, 0) as sessions_rebuilt,
        coalesce(rebuilt.derived_session_readers_rebuilt, 0) as derived_session_readers_rebuilt,
        page_views_written.page_views_written,
        cast(coalesce(page_views_written.page_views_unknown_host, 0) as {{ dbt.type_bigint() }})
            as page_views_unknown_host,
        cast(coalesce(new_lines.new_lines, 0) as {{ dbt.type_bigint() }}) as new_lines,
        cast(coalesce(new_lines.new_lines_quarantined, 0) as {{ dbt.type_bigint() }}) as new_lines_quarantined,
        quarantined_file_count.new_quarantined_files,
        quarantined_files.top_quarantined_files

    from run_window
    cross join line_counts
    cross join new_events
    cross join high_water_mark
    cross join rebuilt
    cross join page_views_written
    cross join new_lines
    cross join quarantined_files
    cross join quarantined_file_count

)

select * from final
