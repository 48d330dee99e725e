{#- The spark__ variants of the project's dispatched macros (dbt-spark: Spark SQL 4, ANSI mode). What differs
    from DuckDB and PostgreSQL: arrays are 0-based (`get(array, 0)` is NULL past the end, never an error),
    casts that may fail are `try_cast`, regexp_extract counts capture groups, JSON text is read with
    get_json_object / from_json, and there is no DELETE on plain Parquet tables (macros/snowplow_incremental.sql
    has the Spark way of the incremental models). -#}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro spark__regexp_extract_group(string, pattern) -%}
    nullif(regexp_extract({{ string }}, {{ pattern }}, 1), '')
{%- endmacro %}

{% macro spark__regexp_like(string, pattern) -%}
    ({{ string }} rlike {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_ilike(string, pattern) -%}
    ({{ string }} rlike concat('(?i)', {{ pattern }}))
{%- endmacro %}

{#- milliseconds, as DuckDB's epoch_ms: the heartbeat buckets fall on the same boundaries -#}
{% macro spark__epoch_seconds(ts) -%}
    (cast(unix_millis({{ ts }}) as double) / 1000.0)
{%- endmacro %}

{% macro spark__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- xxhash64 rather than DuckDB's hash: the same draw for the same text on Spark, another one than DuckDB's -#}
{% macro spark__hash_unit_interval(text_expression) -%}
    (cast(pmod(xxhash64({{ text_expression }}), 1000003) as double) / 1000003.0)
{%- endmacro %}

{#- Spark has no transactions: on-run-* hooks commit nothing -#}
{% macro spark__snowplow_hook_commit() %}{{ return('') }}{% endmacro %}

{#- The S3 loader's hour folders .../YYYY/MM/DD/HH/<file> of a file path (input_file_name(): a file:// URI) -#}
{% macro spark__snowplow_file_load_tstamp(filename) -%}
    try_to_timestamp(
        nullif(regexp_extract({{ filename }}, '/([0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2})/[^/]*$', 1), ''),
        'yyyy/MM/dd/HH'
    )
{%- endmacro %}

{#- The first entity of a self-describing contexts array (JSON text) whose schema is like `schema_like`, as
    JSON text; NULL when the text is not JSON, has no data array or no such entity. -#}
{% macro spark_context_entity(contexts, schema_like) -%}
    get(
        filter(
            from_json(get_json_object({{ contexts }}, '$.data'), 'array<string>'),
            entity -> get_json_object(entity, '$.schema') like '{{ schema_like }}'
        ),
        0
    )
{%- endmacro %}

{% macro spark__web_page_id_from_contexts(contexts) -%}
    get_json_object(
        {{ spark_context_entity(contexts, 'iglu:com.snowplowanalytics.snowplow/web_page/%') }}, '$.data.id'
    )
{%- endmacro %}

{% macro spark__yauaa_device_class(derived_contexts) -%}
    get_json_object({{ spark_context_entity(derived_contexts, 'iglu:nl.basjes/yauaa_context/%') }}, '$.data.deviceClass')
{%- endmacro %}

{% macro spark__is_valid_json(text) -%}
    ({{ text }} is null or try_parse_json({{ text }}) is not null)
{%- endmacro %}

{% macro spark__json_text_at(json, keys) -%}
    get_json_object({{ json }}, '$.{{ keys | join(".") }}')
{%- endmacro %}

{% macro spark__json_array_length_at(json, keys) -%}
    json_array_length(get_json_object({{ json }}, '$.{{ keys | join(".") }}'))
{%- endmacro %}

{% macro spark__json_array_text_at(json, keys, index) -%}
    {#- as an integer first: dbt.generate_series numbers are doubles on Spark (power()), '0.0' is no index -#}
    get_json_object({{ json }}, concat('$.{{ keys | join(".") }}[', cast(cast({{ index }} as bigint) as string), ']'))
{%- endmacro %}

{#- on-run-start: the file sources as Spark tables, redefined on every run from the vars (DuckDB reads them
    through the sources' external_location; PostgreSQL has none). Each events glob becomes an external text
    table over the folder before its `**`, reading every file below it whose name matches the last part
    (recursiveFileLookup + pathGlobFilter: Hadoop globs have no `**`); gzip is decompressed by extension. A
    .gz file that cannot be read (not gzip; cut short) is skipped from where it breaks on (ignoreCorruptFiles:
    none of a file that is not gzip, the lines before the break of a truncated one), never silently: a second
    external table over the same files, binaryFile (the bytes as they are), feeds int_event_files, and
    int_events_validated quarantines each such file as on DuckDB (not_gzip, truncated_gzip, with its size and
    the lines recovered). An empty file is neither: Spark lists no file of 0 bytes, so it reads no line of it
    and int_event_files has no row for it (DuckDB quarantines it as empty_file). The source tables are views
    of it with the file of each line. The CMS export is an external CSV table read leniently (PERMISSIVE: a
    short row gets NULLs). -#}
{% macro spark_file_sources() %}
    {{ return(adapter.dispatch('spark_file_sources', 'article_recs')()) }}
{% endmacro %}
{% macro default__spark_file_sources() %}{{ return('') }}{% endmacro %}
{% macro spark__spark_file_sources() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set statements = ['create schema if not exists snowplow_files', 'create schema if not exists cms'] -%}
    {%- set events_path = var('article_recs__events_path') -%}
    {%- if var('article_recs__events_source') in ['tsv', 'jsonl'] and events_path -%}
        {%- set table = 'events_' ~ var('article_recs__events_source') -%}
        {%- if '**' in events_path -%}
            {%- set root = events_path.split('**')[0].rstrip('/') -%}
            {%- set name_glob = events_path.split('/')[-1] -%}
            {%- set options = "path '" ~ root ~ "', recursiveFileLookup 'true', pathGlobFilter '" ~ name_glob ~ "'" -%}
        {%- else -%}
            {%- set options = "path '" ~ events_path ~ "'" -%}
        {%- endif -%}
        {%- do statements.append('drop view if exists snowplow_files.' ~ table) -%}
        {%- do statements.append('drop table if exists snowplow_files.' ~ table ~ '_files') -%}
        {%- do statements.append(
            'create table snowplow_files.' ~ table ~ '_files (value string) using text options (' ~ options
            ~ ", ignoreCorruptFiles 'true')"
        ) -%}
        {%- do statements.append('drop view if exists snowplow_files.' ~ table ~ '_blobs') -%}
        {%- do statements.append('drop table if exists snowplow_files.' ~ table ~ '_blob_files') -%}
        {%- do statements.append(
            'create table snowplow_files.' ~ table ~ '_blob_files using binaryFile options (' ~ options ~ ')'
        ) -%}
        {#- binaryFile names a local file file:/x, input_file_name() file:///x: the lines' name -#}
        {%- do statements.append(
            'create view snowplow_files.' ~ table ~ '_blobs as select'
            ~ " regexp_replace(path, '^file:/(?!/)', 'file:///') as filename, length as size, content"
            ~ ' from snowplow_files.' ~ table ~ '_blob_files'
        ) -%}
        {%- do statements.append(
            'create view snowplow_files.' ~ table ~ ' as select input_file_name() as filename, value as raw_line'
            ~ ' from snowplow_files.' ~ table ~ '_files'
        ) -%}
    {%- endif -%}
    {%- set metadata_path = var('article_recs__article_metadata_path') -%}
    {%- if metadata_path -%}
        {%- do statements.append('drop table if exists cms.article_metadata') -%}
        {%- do statements.append(
            'create table cms.article_metadata (site_id string, article_id string, published_at string,'
            ~ ' section string, author string, title string, url string) using csv options (path \''
            ~ metadata_path ~ "', header 'true', mode 'PERMISSIVE')"
        ) -%}
    {%- endif -%}
    {#- one statement per call: the session cursor runs one at a time -#}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- The event files' bytes (int_event_files): the binaryFile view of spark_file_sources -#}
{% macro spark__snowplow_event_file_blobs() -%}
    snowplow_files.events_{{ var('article_recs__events_source') }}_blobs
{%- endmacro %}

{% macro spark__snowplow_event_file_list() -%}
    (select filename as file from {{ spark__snowplow_event_file_blobs() }})
{%- endmacro %}

{#- substring counts bytes of a binary value; a negative start counts from the end -#}
{% macro spark__blob_hex_head(blob, n) -%}hex(substring({{ blob }}, 1, {{ n }})){%- endmacro %}
{% macro spark__blob_hex_tail(blob, n) -%}hex(substring({{ blob }}, -{{ n }}, {{ n }})){%- endmacro %}
{% macro spark__hex_to_bigint(hex_text) -%}cast(conv({{ hex_text }}, 16, 10) as bigint){%- endmacro %}

{#- The lines of a file source: Spark decodes bytes that are not UTF-8 as U+FFFD (it never rejects a line),
    so a line holding U+FFFD is flagged is_invalid_utf8 and quarantined as on DuckDB. -#}
{% macro spark__snowplow_decoded_lines(relation) -%}
    select
        filename as source_file,
        raw_line,
        instr(raw_line, decode(unhex('EFBFBD'), 'UTF-8')) > 0 as is_invalid_utf8

    from {{ relation }}
{%- endmacro %}

{#- split takes a regular expression; limit -1 keeps trailing empty fields, as DuckDB's string_split does -#}
{% macro spark__split_on_tab(text_expression) -%}
    split({{ text_expression }}, chr(9), -1)
{%- endmacro %}

{% macro spark__array_size(array_expression) -%}
    size({{ array_expression }})
{%- endmacro %}

{#- position counts from 1, Spark's arrays from 0; get() is NULL past the end (a short line's missing fields) -#}
{% macro spark__array_element(array_expression, position) -%}
    get({{ array_expression }}, {{ position - 1 }})
{%- endmacro %}

{#- Plain Parquet tables have no DELETE: the models that delete+insert on DuckDB are tables rebuilt whole, but
    the Snowplow models and the widget events (rec_clicks, rec_impressions), which overwrite the partitions a
    run touches (spark__snowplow_stateful_rows); the cut-keyed ones one partition per cut (below). -#}
{% macro spark__stateful_materialization() %}{{ return('table') }}{% endmacro %}

{#- Over a SQL endpoint dbt-spark refuses insert_overwrite: there the Snowplow models are tables rebuilt whole,
    every run a full run. -#}
{% macro spark__snowplow_runs_incremental() %}{{ return(not target.endpoint) }}{% endmacro %}

{#- The Snowplow models (snowplow_incremental_models, rec_clicks, rec_impressions) on Spark: each table is
    partitioned (partition_by: the run that wrote the row where the table has such a column - the event store,
    the load outcomes, the sessions lifecycle -, else a column that keeps the rows a run replaces together:
    site_id, quarantine_reason), and
    an incremental run writes, with insert_overwrite in dynamic partition-overwrite mode, the whole content of
    every partition it touches: its rebuilt rows (`final`), and the rows the table holds in those partitions
    but the ones DuckDB's run deletes (by unique_key, or matching `replaced`: what the pre-hooks delete there,
    wherever the rows lie). A partition that holds none of them is not written: its files stay as they were.
    What DuckDB's delete+insert leaves, in whole partitions. Spark reads the table while it overwrites some of
    its partitions: the dynamic mode writes the new files aside and swaps the partitions in at the end. The
    swap is not atomic, so the run after one that did not complete is a full run
    (spark__snowplow_unfinished_run_is_replayable); a full run empties the table first (snowplow_truncate). -#}
{% macro spark__snowplow_stateful_rows(final, partition_by, replaced) %}
    {%- if target.endpoint -%}
        {{ return('select * from ' ~ final) }}
    {%- endif -%}
    {#- the full-run truncate again, inside the transaction: dbt-spark's incremental materialization runs
        only those pre-hooks (run_hooks(pre_hooks)), not the models' `transaction: false` one -#}
    {%- do config(
        materialized='incremental', incremental_strategy='insert_overwrite', partition_by=[partition_by],
        pre_hook=["{{ snowplow_full_run_truncate() }}"],
    ) -%}
    {%- if not execute or not snowplow_is_incremental() -%}
        {{ return('select * from ' ~ final) }}
    {%- endif -%}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set conditions = [] -%}
    {%- for condition in [snowplow_key_listed(final, [unique_key] if unique_key is string else unique_key)]
        + replaced -%}
        {%- do conditions.append('(' ~ condition ~ ')') -%}
    {%- endfor -%}
    {#- a condition that is NULL (a NULL key) replaces nothing, as a DELETE's -#}
    {%- set is_replaced = 'coalesce(' ~ conditions | join('\n        or ') ~ ', false)' -%}
    {#- a NULL partition value and '' are one here: a partition touched too many is rewritten as it was -#}
    {%- set partition_value = "coalesce(cast(" ~ partition_by ~ " as string), '')" -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='quoted') | join(', ') -%}
    {%- set rows -%}
select {{ columns }} from {{ final }}

union all

select {{ columns }} from {{ this }} as stored
where
    not {{ is_replaced }}
    and {{ partition_value }} in (
        select {{ partition_value }} from {{ final }}
        union all
        select {{ partition_value }} from {{ this }} as stored
        where {{ is_replaced }}
    )
    {%- endset -%}
    {{ return(rows) }}
{% endmacro %}

{#- TRUNCATE TABLE empties a partitioned Parquet table (there is no DELETE) -#}
{% macro spark__snowplow_truncate(relation) %}truncate table {{ relation }}{% endmacro %}
{% macro spark__snowplow_deletes_in_place() %}{{ return(false) }}{% endmacro %}
{% macro spark__snowplow_unfinished_run_is_replayable() %}{{ return(false) }}{% endmacro %}

{#- The cut-keyed models (macros/recommender_cuts.sql) on Spark: one partition per cut (site_id, cut_at). A run
    computes the cuts the table does not hold yet (cuts_to_build) and writes them with insert_overwrite, which
    dbt-spark runs in dynamic partition-overwrite mode: only the partitions of the rows written are replaced,
    every other cut stays as it was. What DuckDB's append + delete does, in whole partitions. dbt-spark refuses
    insert_overwrite over a SQL endpoint connection: there the tables are rebuilt whole. `batched` is ignored: a
    Spark cluster computes every cut of a full build in one statement (cut_batches() is empty). -#}
{% macro spark__cut_keyed_config(batched=false) -%}
    {%- if target.endpoint -%}
        {{ config(materialized='table') }}
        {{ return('') }}
    {%- endif -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        partition_by=['site_id', 'cut_at'],
        on_schema_change='fail',
        post_hook=["{{ retire_cuts() }}"],
    ) }}
{%- endmacro %}

{#- Post-hook of a cut-keyed model on Spark: drop the partitions of the cuts recommender_cuts no longer lists,
    one ALTER TABLE for all of them (nothing when there is none). Read when the hook runs, after the insert. -#}
{% macro spark__retire_cuts() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set retired = run_query(
        'select distinct built.site_id, built.cut_at from ' ~ this ~ ' as built where not exists (select 1 from '
        ~ ref('recommender_cuts') ~ ' as cuts where cuts.site_id = built.site_id and cuts.cut_at = built.cut_at)'
    ).rows -%}
    {%- if retired | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- set partitions = [] -%}
    {%- for site_id, cut_at in retired -%}
        {%- do partitions.append(
            "partition (site_id = '" ~ site_id | replace("'", "\\'") ~ "', cut_at = '" ~ cut_at ~ "')"
        ) -%}
    {%- endfor -%}
    alter table {{ this }} drop if exists {{ partitions | join(', ') }}
{%- endmacro %}

{% macro spark__recommender_hook_commit() %}{{ return('') }}{% endmacro %}

{#- on-run-start: dbt-spark runs dbt Python models only on a Databricks cluster (the target's `cluster`). On a
    target without one (a local session, Thrift), a run that selects one stops here, before building anything,
    and says how to build them: with `article-recs spark-build`, which runs them from the same files between
    dbt steps (article_recs/spark_models.py), or without them and what reads them. (Disabling them on Spark
    is no way out: the SQL models that ref them would fail to parse.) -#}
{% macro spark_python_models_guard() %}
    {{ return(adapter.dispatch('spark_python_models_guard', 'article_recs')()) }}
{% endmacro %}
{% macro default__spark_python_models_guard() %}{{ return('') }}{% endmacro %}
{% macro spark__spark_python_models_guard() %}
    {%- if not execute or flags.WHICH not in ('run', 'build') or target.cluster -%}
        {{ return('') }}
    {%- endif -%}
    {%- set python_models = [] -%}
    {%- for unique_id in selected_resources -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node is not none and node.resource_type == 'model' and node.language == 'python' -%}
            {%- do python_models.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if python_models -%}
        {%- set python_models = python_models | sort -%}
        {%- set exclude = [] -%}
        {%- for name in python_models -%}{%- do exclude.append(name ~ '+') -%}{%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "dbt-spark runs dbt Python models only on a Databricks cluster, and this " ~ flags.WHICH
            ~ " on target '" ~ target.name ~ "' (no cluster) selects " ~ python_models | join(', ')
            ~ ". Build on Spark with `article-recs spark-build` (it runs them from the same files between dbt"
            ~ " steps), or leave them and what reads them out: --exclude "
            ~ exclude | join(' ')
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
