{#- Every event line of the selected source (var article_recs__events_source), typed. Nothing is dropped
    here: unparseable values become NULL and int_events_validated decides what is quarantined. -#}
{%- set fields = snowplow_enriched_fields() -%}
{%- set events_source = var('article_recs__events_source') -%}

with

{% if events_source == 'tsv' -%}
events as (

    select * from {{ ref('base_snowplow__events_tsv') }}

),
{%- else -%}
{{ exceptions.raise_compiler_error(
    "article_recs__events_source must be one of: tsv (got '" ~ events_source ~ "')"
) }}
{%- endif %}

typed as (

    select
        -- lineage of the raw line
        source_file,
        raw_line,
        field_count,
        is_invalid_utf8,

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
        {{ web_page_id_from_contexts('contexts') }} as page_view_id,

        -- timestamps
        {{ safe_cast('collector_tstamp', 'timestamp') }} as collector_tstamp,
        {{ safe_cast('dvce_created_tstamp', 'timestamp') }} as dvce_created_tstamp,
        {{ safe_cast('dvce_sent_tstamp', 'timestamp') }} as dvce_sent_tstamp,
        {{ safe_cast('derived_tstamp', 'timestamp') }} as derived_tstamp,
        {{ safe_cast('etl_tstamp', 'timestamp') }} as etl_tstamp,
        collector_tstamp as collector_tstamp_raw,

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

        -- self-describing JSON, as text
        contexts,
        derived_contexts,
        {{ is_valid_json('contexts') }} as is_contexts_valid_json,
        {{ yauaa_device_class('derived_contexts') }} as yauaa_device_class

    from events

)

select * from typed
