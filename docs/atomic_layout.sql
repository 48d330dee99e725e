-- The Snowplow warehouse layout this project reads with article_recs__events_source = atomic
-- (models/staging/snowplow/base_snowplow__events_atomic.sql), as Snowplow's Postgres loader writes it and as
-- `article-recs load-postgres` must fill it. Portable SQL: it runs as is on PostgreSQL and on DuckDB (the
-- pytest tests/python/test_incremental_snowplow.py creates these tables in DuckDB from this very file).
--
-- * atomic.events: the enriched event's columns, typed, in the enriched TSV's order, except the three
--   self-describing JSON fields (contexts, unstruct_event, derived_contexts), which the loader shreds into
--   one table per schema; plus load_tstamp, when the row was loaded (set it to the load time; incremental
--   runs window on it when the column exists, else on collector_tstamp, and then rows loaded late with an
--   old collector_tstamp are only seen by a full refresh).
-- * one table per context schema (major version), named <vendor>_<name>_<major> with dots -> underscores,
--   joined to its event on root_id = event_id and root_tstamp = collector_tstamp. The models read
--   com_snowplowanalytics_snowplow_web_page_1 (the page view id) and nl_basjes_yauaa_context_1 (device class).
-- * Lines the enrichment or loader could not parse never reach these tables; duplicates (the same event_id
--   twice) may be loaded as they come: the models deduplicate.
-- * The schema name is the var article_recs__atomic_schema (default atomic).
-- * Indexes worth having on PostgreSQL (incremental runs filter on them): events (load_tstamp),
--   events (collector_tstamp), and (root_id, root_tstamp) on each context table.

create schema if not exists atomic;

create table if not exists atomic.events (
    app_id varchar,
    platform varchar,
    etl_tstamp timestamp,
    collector_tstamp timestamp not null,
    dvce_created_tstamp timestamp,
    event varchar,
    event_id varchar not null,
    txn_id integer,
    name_tracker varchar,
    v_tracker varchar,
    v_collector varchar,
    v_etl varchar,
    user_id varchar,
    user_ipaddress varchar,
    user_fingerprint varchar,
    domain_userid varchar,
    domain_sessionidx integer,
    network_userid varchar,
    geo_country varchar,
    geo_region varchar,
    geo_city varchar,
    geo_zipcode varchar,
    geo_latitude double precision,
    geo_longitude double precision,
    geo_region_name varchar,
    ip_isp varchar,
    ip_organization varchar,
    ip_domain varchar,
    ip_netspeed varchar,
    page_url varchar,
    page_title varchar,
    page_referrer varchar,
    page_urlscheme varchar,
    page_urlhost varchar,
    page_urlport integer,
    page_urlpath varchar,
    page_urlquery varchar,
    page_urlfragment varchar,
    refr_urlscheme varchar,
    refr_urlhost varchar,
    refr_urlport integer,
    refr_urlpath varchar,
    refr_urlquery varchar,
    refr_urlfragment varchar,
    refr_medium varchar,
    refr_source varchar,
    refr_term varchar,
    mkt_medium varchar,
    mkt_source varchar,
    mkt_term varchar,
    mkt_content varchar,
    mkt_campaign varchar,
    se_category varchar,
    se_action varchar,
    se_label varchar,
    se_property varchar,
    se_value double precision,
    tr_orderid varchar,
    tr_affiliation varchar,
    tr_total double precision,
    tr_tax double precision,
    tr_shipping double precision,
    tr_city varchar,
    tr_state varchar,
    tr_country varchar,
    ti_orderid varchar,
    ti_sku varchar,
    ti_name varchar,
    ti_category varchar,
    ti_price double precision,
    ti_quantity integer,
    pp_xoffset_min integer,
    pp_xoffset_max integer,
    pp_yoffset_min integer,
    pp_yoffset_max integer,
    useragent varchar,
    br_name varchar,
    br_family varchar,
    br_version varchar,
    br_type varchar,
    br_renderengine varchar,
    br_lang varchar,
    br_features_pdf boolean,
    br_features_flash boolean,
    br_features_java boolean,
    br_features_director boolean,
    br_features_quicktime boolean,
    br_features_realplayer boolean,
    br_features_windowsmedia boolean,
    br_features_gears boolean,
    br_features_silverlight boolean,
    br_cookies boolean,
    br_colordepth varchar,
    br_viewwidth integer,
    br_viewheight integer,
    os_name varchar,
    os_family varchar,
    os_manufacturer varchar,
    os_timezone varchar,
    dvce_type varchar,
    dvce_ismobile boolean,
    dvce_screenwidth integer,
    dvce_screenheight integer,
    doc_charset varchar,
    doc_width integer,
    doc_height integer,
    tr_currency varchar,
    tr_total_base double precision,
    tr_tax_base double precision,
    tr_shipping_base double precision,
    ti_currency varchar,
    ti_price_base double precision,
    base_currency varchar,
    geo_timezone varchar,
    mkt_clickid varchar,
    mkt_network varchar,
    etl_tags varchar,
    dvce_sent_tstamp timestamp,
    refr_domain_userid varchar,
    refr_dvce_tstamp timestamp,
    domain_sessionid varchar,
    derived_tstamp timestamp,
    event_vendor varchar,
    event_name varchar,
    event_format varchar,
    event_version varchar,
    event_fingerprint varchar,
    true_tstamp timestamp,
    load_tstamp timestamp
);

create table if not exists atomic.com_snowplowanalytics_snowplow_web_page_1 (
    schema_vendor varchar not null,   -- com.snowplowanalytics.snowplow
    schema_name varchar not null,     -- web_page
    schema_format varchar not null,   -- jsonschema
    schema_version varchar not null,  -- 1-0-0
    root_id varchar not null,         -- events.event_id
    root_tstamp timestamp not null,   -- events.collector_tstamp
    ref_root varchar not null,        -- events
    ref_tree varchar not null,        -- ["events","web_page"]
    ref_parent varchar not null,      -- events
    id varchar not null               -- the page view id
);

create table if not exists atomic.nl_basjes_yauaa_context_1 (
    schema_vendor varchar not null,   -- nl.basjes
    schema_name varchar not null,     -- yauaa_context
    schema_format varchar not null,   -- jsonschema
    schema_version varchar not null,  -- 1-0-4
    root_id varchar not null,
    root_tstamp timestamp not null,
    ref_root varchar not null,
    ref_tree varchar not null,
    ref_parent varchar not null,
    device_class varchar not null,    -- deviceClass: Desktop, Phone, Tablet, Robot, ...
    device_name varchar,
    device_brand varchar,
    operating_system_class varchar,
    operating_system_name varchar,
    operating_system_version varchar,
    layout_engine_class varchar,
    layout_engine_name varchar,
    agent_class varchar,
    agent_name varchar,
    agent_version varchar
);
