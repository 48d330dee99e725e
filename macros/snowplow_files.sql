{#- Helpers for the file sources (DuckDB reads the files with read_csv; the spark__ variants are in spark.sql). -#}

{#- The CTE body over a file source: source_file, raw_line, is_invalid_utf8 (always false here: lines that are
    not UTF-8 are rejected by the reader and quarantined through snowplow_insert_rejected_lines). -#}
{% macro snowplow_decoded_lines(relation) -%}
    {{ return(adapter.dispatch('snowplow_decoded_lines', 'article_recs')(relation)) }}
{%- endmacro %}
{% macro default__snowplow_decoded_lines(relation) -%}
    select
        filename as source_file,
        raw_line,
        false as is_invalid_utf8

    from {{ relation }}
{%- endmacro %}

{#- The load hour of a file, read from its path: the S3 loader's hour folders `.../YYYY/MM/DD/HH/<file>`.
    NULL when the path has no such folders (the file is then read by every run). The expression uses only
    the file name, so DuckDB evaluates a filter on it against the file list and skips whole files
    (EXPLAIN ANALYZE shows "Scanning Files: 12/661"). -#}
{% macro snowplow_file_load_tstamp(filename) -%}
    {{ return(adapter.dispatch('snowplow_file_load_tstamp', 'article_recs')(filename)) }}
{%- endmacro %}
{% macro default__snowplow_file_load_tstamp(filename) -%}
    try_strptime(
        nullif(regexp_extract({{ filename }}, '/([0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2})/[^/]*$', 1), ''),
        '%Y/%m/%d/%H'
    )
{%- endmacro %}

{#- Files of the events glob that no run has read yet although their hour folder is older than the window:
    files a loader wrote late into an old folder. An incremental run reads them too (by name: DuckDB still
    skips every other old file), so nothing is silently left out; their lines are flagged is_late. Listing the
    glob reads no file content. Empty when there is no previous state (a full run reads everything anyway). -#}
{% macro snowplow_unread_old_files(window_start) %}
    {%- if not execute or window_start is none
        or var('article_recs__events_source') not in ['tsv', 'jsonl'] -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set outcomes = snowplow_existing_relation('int_events_load_outcomes') -%}
    {%- if outcomes is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select files.file
        from {{ snowplow_event_file_list() }} as files
        where
            {{ snowplow_file_load_tstamp('files.file') }} < {{ window_start }}
            and files.file not in (select load_partition from {{ outcomes }} where load_partition is not null)
        order by files.file
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{#- The files of the events glob, one row each (file: its name as the lines' source_file has it), listed
    without reading them. Spark: the binaryFile table of spark_file_sources, its path only (Spark reads no
    content for it). -#}
{% macro snowplow_event_file_list() -%}
    {{ return(adapter.dispatch('snowplow_event_file_list', 'article_recs')()) }}
{%- endmacro %}
{% macro default__snowplow_event_file_list() -%}glob('{{ var("article_recs__events_path") }}'){%- endmacro %}

{#- Lines DuckDB's CSV reader cannot decode (bytes that are not UTF-8, a line over max_line_size) are not
    lost: the file sources read with store_rejects, which records each such line (file, line number, the
    line with the bad bytes replaced, the reason) in temporary tables of the connection that ran the read.
    int_events_validated clears them before its read (pre-hook) and, after it, adds one quarantined row per
    rejected line (post-hook), so they reach events_quarantine and event_load_stats with a reason. -#}
{% macro snowplow_rejected_lines_enabled() -%}
    {{ return(target.type == 'duckdb' and var('article_recs__events_source') in ('tsv', 'jsonl')) }}
{%- endmacro %}

{% macro snowplow_clear_rejected_lines() -%}
    {%- if snowplow_rejected_lines_enabled() -%}
        drop table if exists snowplow_rejected_lines; drop table if exists snowplow_rejected_scans
    {%- endif -%}
{%- endmacro %}

{% macro snowplow_insert_rejected_lines(relation) -%}
    {%- if snowplow_rejected_lines_enabled() -%}
    insert into {{ relation }} (
        events_source, source_file, load_tstamp, load_partition, raw_line, line_bytes, field_count,
        quarantine_reason, is_bot, is_excluded_app, is_too_late, is_late, line_hash, outcome
    )
    select
        '{{ var("article_recs__events_source") }}' as events_source,
        scans.file_path as source_file,
        {{ snowplow_file_load_tstamp('scans.file_path') }} as load_tstamp,
        scans.file_path as load_partition,
        rejected.csv_line as raw_line,
        strlen(coalesce(rejected.csv_line, '')) + 1 as line_bytes,
        null as field_count,
        case
            when rejected.error_type = 'INVALID ENCODING' then 'invalid_utf8'
            when rejected.error_type = 'LINE SIZE OVER MAXIMUM' then 'line_too_long'
            else 'unreadable_line'
        end as quarantine_reason,
        false as is_bot,
        false as is_excluded_app,
        false as is_too_late,
        false as is_late,
        md5(scans.file_path || '|' || cast(rejected.line as varchar) || '|' || coalesce(rejected.csv_line, ''))
            as line_hash,
        'quarantined:' || case
            when rejected.error_type = 'INVALID ENCODING' then 'invalid_utf8'
            when rejected.error_type = 'LINE SIZE OVER MAXIMUM' then 'line_too_long'
            else 'unreadable_line'
        end as outcome
    from snowplow_rejected_lines as rejected
    inner join snowplow_rejected_scans as scans
        on rejected.scan_id = scans.scan_id and rejected.file_id = scans.file_id
    {%- endif -%}
{%- endmacro %}

{#- Bytes of a line (UTF-8), for the truncated-file check. -#}
{% macro snowplow_line_bytes(expression) -%}
    {{ return(adapter.dispatch('snowplow_line_bytes', 'article_recs')(expression)) }}
{%- endmacro %}
{% macro default__snowplow_line_bytes(expression) -%}octet_length({{ expression }}){%- endmacro %}
{% macro duckdb__snowplow_line_bytes(expression) -%}strlen({{ expression }}){%- endmacro %}

{#- Whether the compressed event files are checked as files (int_event_files) and the unreadable ones
    quarantined as files: on the warehouses that read the files themselves (DuckDB, Spark). -#}
{% macro snowplow_file_checks_enabled() -%}
    {{ return(target.type in ('duckdb', 'spark') and var('article_recs__events_source') in ('tsv', 'jsonl')) }}
{%- endmacro %}

{#- The event files as they are on disk, one row each: filename, size (bytes), content (binary, not
    decompressed). DuckDB: read_blob over the events glob; Spark: the binaryFile table of
    spark_file_sources. -#}
{% macro snowplow_event_file_blobs() -%}
    {{ return(adapter.dispatch('snowplow_event_file_blobs', 'article_recs')()) }}
{%- endmacro %}
{% macro default__snowplow_event_file_blobs() -%}
    read_blob('{{ var("article_recs__events_path") }}')
{%- endmacro %}

{#- The first / last n bytes of a binary value, as upper-case hex text -#}
{% macro blob_hex_head(blob, n) -%}
    {{ return(adapter.dispatch('blob_hex_head', 'article_recs')(blob, n)) }}
{%- endmacro %}
{% macro default__blob_hex_head(blob, n) -%}hex({{ blob }}[1:{{ n }}]){%- endmacro %}
{% macro blob_hex_tail(blob, n) -%}
    {{ return(adapter.dispatch('blob_hex_tail', 'article_recs')(blob, n)) }}
{%- endmacro %}
{% macro default__blob_hex_tail(blob, n) -%}hex({{ blob }}[-{{ n }}:]){%- endmacro %}

{#- A hex text (no prefix) as a bigint -#}
{% macro hex_to_bigint(hex_text) -%}
    {{ return(adapter.dispatch('hex_to_bigint', 'article_recs')(hex_text)) }}
{%- endmacro %}
{% macro default__hex_to_bigint(hex_text) -%}cast('0x' || {{ hex_text }} as bigint){%- endmacro %}

{#- The files of int_event_files that cannot be read at all (empty, or a .gz that is not gzip): a constant
    list, so that int_events_validated's filter on the file name keeps DuckDB from opening them. -#}
{% macro snowplow_unreadable_files(files_relation) %}
    {#- graph has no nodes while a unit test compiles: no file is unreadable there -#}
    {%- if not execute or graph.get('nodes') is none or not snowplow_file_checks_enabled() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if adapter.get_relation(
        database=files_relation.database, schema=files_relation.schema, identifier=files_relation.identifier
    ) is none -%}
        {#- not built yet (sqlfluff's compile on an empty warehouse): nothing known to be unreadable -#}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select source_file from {{ files_relation }} where unreadable_reason is not null order by source_file
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{#- Post-hook of int_events_validated: one quarantined row per file that could not be read whole -
    empty_file and not_gzip (left out of the read), truncated_gzip (its lines were read up to where the
    stream ends, and are used; the gzip trailer declares more bytes than were decompressed: the tail is lost).
    The row stands for the file (raw_line NULL); events_quarantine adds its size and the lines recovered. -#}
{% macro snowplow_insert_quarantined_files(relation, files_relation) -%}
    {%- if snowplow_file_checks_enabled() -%}
    insert into {{ relation }} (
        events_source, source_file, load_tstamp, load_partition, raw_line, line_bytes, field_count,
        quarantine_reason, is_bot, is_excluded_app, is_too_late, is_late, line_hash, outcome
    )
    with

    read_bytes as (

        select
            source_file,
            count(*) as lines,
            sum(coalesce(line_bytes, 1)) as bytes

        from {{ relation }}
        where source_file in (select files.source_file from {{ files_relation }} as files)
        group by source_file

    ),

    verdicts as (

        select
            files.source_file,
            coalesce(
                files.unreadable_reason,
                case
                    -- the trailer states the size mod 2^32; lines may lose a CR each: allow one byte a line
                    when files.declared_bytes > coalesce(read_bytes.bytes, 0) + coalesce(read_bytes.lines, 0) + 1
                        and files.declared_bytes < 4294967296
                        then 'truncated_gzip'
                end
            ) as reason

        from {{ files_relation }} as files
        left join read_bytes
            on files.source_file = read_bytes.source_file

    )

    select
        '{{ var("article_recs__events_source") }}' as events_source,
        source_file,
        {{ snowplow_file_load_tstamp('source_file') }} as load_tstamp,
        source_file as load_partition,
        null as raw_line,
        null as line_bytes,
        null as field_count,
        reason as quarantine_reason,
        false as is_bot,
        false as is_excluded_app,
        false as is_too_late,
        false as is_late,
        md5('file|' || source_file) as line_hash,
        'quarantined:' || reason as outcome

    from verdicts
    where reason is not null
    {%- endif -%}
{%- endmacro %}
