{#- Helpers for the file sources (DuckDB only: the files are read with read_csv). -#}

{#- The CTE body that restores UTF-8 on lines read as latin-1: lines with no byte >= 0x80 are kept as they are;
    the others are re-decoded as UTF-8 and come out NULL (quarantined as invalid_utf8) when they are not valid
    UTF-8. Columns: source_file, raw_line, is_invalid_utf8. -#}
{% macro snowplow_decoded_lines(relation) -%}
    select
        filename as source_file,
        coalesce(utf8_line, raw_line) as raw_line,
        utf8_line is null as is_invalid_utf8

    from (
        select
            filename,
            raw_line,
            case
                when not regexp_matches(raw_line, '[\x80-\xff]') then raw_line
                else try(decode(unhex(list_aggr(
                    list_transform(string_split(raw_line, ''), byte_char -> printf('%02x', ord(byte_char))),
                    'string_agg',
                    ''
                ))))
            end as utf8_line

        from {{ relation }}
    ) as lines
{%- endmacro %}

{#- The load hour of a file, read from its path: the S3 loader's hour folders `.../YYYY/MM/DD/HH/<file>`.
    NULL when the path has no such folders (the file is then read by every run). The expression uses only
    the file name, so DuckDB evaluates a filter on it against the file list and skips whole files
    (EXPLAIN ANALYZE shows "Scanning Files: 12/661"). -#}
{% macro snowplow_file_load_tstamp(filename) -%}
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
        from glob('{{ var("article_recs__events_path") }}') as files
        where
            {{ snowplow_file_load_tstamp('files.file') }} < {{ window_start }}
            and files.file not in (select load_partition from {{ outcomes }} where load_partition is not null)
        order by files.file
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}
