{{ config(
    materialized=stateful_materialization(),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook={"sql": "{{ snowplow_full_run_truncate() }}", "transaction": false},
    indexes=[
        {'columns': ['event_id']}, {'columns': ['domain_sessionid']}, {'columns': ['collector_tstamp']},
        {'columns': ['loaded_in_run']}, {'columns': ['load_partition']},
    ]
    if target.type == 'postgres' else [],
) }}
{{ snowplow_guard_full_refresh() }}

{#- The event store: every usable event ever read (valid, not a bot, not an excluded app, a page view or page
    ping, not sent too late), one row per event_id - the earliest copy wins, by collector_tstamp, then
    dvce_created_tstamp (as dbt-snowplow-web), then the line's hash. An incremental run adds the events it reads
    for the first time and replaces a stored event only by an earlier copy; re-read events are left alone.
    loaded_in_run is the run_seq of the run that stored the row: the sessions to rebuild are those with an
    event loaded in this run. No personal data beyond domain_userid. -#}

with

events as (

    select * from {{ ref('int_events_validated') }}
    where outcome = 'eligible'

),

run_window as (

    select * from {{ ref('int_run_window') }}

),

ranked as (

    select
        event_id,
        app_id,
        event,
        page_view_id,
        domain_userid,
        domain_sessionid,
        domain_sessionidx,
        collector_tstamp,
        dvce_created_tstamp,
        dvce_sent_tstamp,
        coalesce(derived_tstamp, collector_tstamp) as derived_tstamp,
        page_url,
        page_title,
        page_referrer,
        page_urlhost,
        page_urlpath,
        refr_urlhost,
        refr_medium,
        refr_source,
        pp_yoffset_min,
        pp_yoffset_max,
        doc_height,
        br_viewheight,
        dvce_ismobile,
        yauaa_device_class,
        load_tstamp,
        load_partition,
        line_hash,
        is_late,
        row_number() over (
            partition by event_id
            order by collector_tstamp, dvce_created_tstamp, line_hash, load_partition
        ) as event_id_rank

    from events

),

candidates as (

    select * from ranked
    where event_id_rank = 1

),

{% if snowplow_is_incremental() -%}
stored as (

    select
        event_id,
        collector_tstamp,
        dvce_created_tstamp,
        line_hash,
        load_partition

    from {{ this }}
    where event_id in (select candidates.event_id from candidates)

),

new_or_earlier as (

    select candidates.*

    from candidates
    left join stored
        on candidates.event_id = stored.event_id
    where
        stored.event_id is null
        or candidates.collector_tstamp < stored.collector_tstamp
        or (
            candidates.collector_tstamp = stored.collector_tstamp
            and (
                candidates.dvce_created_tstamp < stored.dvce_created_tstamp
                or (
                    candidates.dvce_created_tstamp = stored.dvce_created_tstamp
                    and (
                        candidates.line_hash < stored.line_hash
                        or (
                            candidates.line_hash = stored.line_hash
                            and candidates.load_partition < stored.load_partition
                        )
                    )
                )
            )
        )

),
{%- else -%}
new_or_earlier as (

    select * from candidates

),
{%- endif %}

final as (

    select
        -- ids
        new_or_earlier.event_id,
        new_or_earlier.app_id,
        new_or_earlier.event,
        new_or_earlier.page_view_id,
        new_or_earlier.domain_userid,
        new_or_earlier.domain_sessionid,
        new_or_earlier.domain_sessionidx,

        -- timestamps
        new_or_earlier.collector_tstamp,
        new_or_earlier.dvce_created_tstamp,
        new_or_earlier.dvce_sent_tstamp,
        new_or_earlier.derived_tstamp,

        -- page
        new_or_earlier.page_url,
        new_or_earlier.page_title,
        new_or_earlier.page_referrer,
        new_or_earlier.page_urlhost,
        new_or_earlier.page_urlpath,
        new_or_earlier.refr_urlhost,
        new_or_earlier.refr_medium,
        new_or_earlier.refr_source,

        -- engagement
        new_or_earlier.pp_yoffset_min,
        new_or_earlier.pp_yoffset_max,
        new_or_earlier.doc_height,
        new_or_earlier.br_viewheight,

        -- device
        new_or_earlier.dvce_ismobile,
        new_or_earlier.yauaa_device_class,

        -- load
        new_or_earlier.load_tstamp,
        new_or_earlier.load_partition,
        new_or_earlier.line_hash,
        new_or_earlier.is_late,
        run_window.run_seq as loaded_in_run

    from new_or_earlier
    cross join run_window

)

{{ snowplow_stateful_rows('final', 'loaded_in_run') }}
