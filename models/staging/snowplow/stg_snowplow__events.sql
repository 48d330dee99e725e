{#- Every event line (or row) of the selected source (var article_recs__events_source: tsv | jsonl | atomic),
    typed, with where and when it was loaded. Nothing is dropped here: unparseable values become NULL and
    int_events_validated decides what is quarantined. Holds personal data: it stays in the staging schema. -#}
{%- set events_source = var('article_recs__events_source') -%}
{%- set base_models = {
    'tsv': 'base_snowplow__events_tsv',
    'jsonl': 'base_snowplow__events_jsonl',
    'atomic': 'base_snowplow__events_atomic',
} -%}
{%- if events_source not in base_models -%}
{{ exceptions.raise_compiler_error(
    "article_recs__events_source must be one of: tsv, jsonl, atomic (got '" ~ events_source ~ "')"
) }}
{%- endif %}

with

events as (

    select * from {{ ref(base_models[events_source]) }}

),

typed as (

    select
        -- lineage of the raw line
        '{{ events_source }}' as events_source,
        source_file,
        load_tstamp,
        load_partition,
        raw_line,
        field_count,
        is_invalid_utf8,
        is_invalid_json,

        -- ids
        event_id,
        app_id,
        platform,
        event,
        domain_userid,
        domain_sessionid,
        {{ safe_cast('domain_sessionidx', 'integer') }} as domain_sessionidx,
        network_userid,
        user_id,
        coalesce(context_page_view_id, {{ web_page_id_from_contexts('contexts') }}) as page_view_id,

        -- timestamps
        {{ safe_cast('collector_tstamp', dbt.type_timestamp()) }} as collector_tstamp,
        {{ safe_cast('dvce_created_tstamp', dbt.type_timestamp()) }} as dvce_created_tstamp,
        {{ safe_cast('dvce_sent_tstamp', dbt.type_timestamp()) }} as dvce_sent_tstamp,
        {{ safe_cast('derived_tstamp', dbt.type_timestamp()) }} as derived_tstamp,
        {{ safe_cast('etl_tstamp', dbt.type_timestamp()) }} as etl_tstamp,
        cast(collector_tstamp as {{ dbt.type_string() }}) as collector_tstamp_raw,

        -- page
        page_url,
        page_title,
        page_referrer,
        page_urlscheme,
        page_urlhost,
        page_urlpath,
        page_urlquery,
        refr_urlhost,
        refr_urlpath,
        refr_medium,
        refr_source,

        -- engagement
        {{ safe_cast('pp_xoffset_min', 'integer') }} as pp_xoffset_min,
        {{ safe_cast('pp_xoffset_max', 'integer') }} as pp_xoffset_max,
        {{ safe_cast('pp_yoffset_min', 'integer') }} as pp_yoffset_min,
        {{ safe_cast('pp_yoffset_max', 'integer') }} as pp_yoffset_max,
        {{ safe_cast('doc_width', 'integer') }} as doc_width,
        {{ safe_cast('doc_height', 'integer') }} as doc_height,
        {{ safe_cast('br_viewwidth', 'integer') }} as br_viewwidth,
        {{ safe_cast('br_viewheight', 'integer') }} as br_viewheight,

        -- device and network (personal data: stays in staging)
        user_ipaddress,
        useragent,
        dvce_type,
        {{ safe_cast('dvce_ismobile', 'boolean') }} as dvce_ismobile,
        geo_country,

        -- self-describing JSON, as text (NULL for the atomic source: its contexts are tables)
        contexts,
        derived_contexts,
        unstruct_event,
        {{ is_valid_json('contexts') }} as is_contexts_valid_json,
        coalesce(context_device_class, {{ yauaa_device_class('derived_contexts') }}) as yauaa_device_class

    from events

)

select * from typed
