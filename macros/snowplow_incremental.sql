{#- The incremental machinery of the Snowplow models (after dbt-snowplow-web's base module).

    A run reads the load partitions from the run window's window_start on (int_run_window), stores the new
    events in int_events_deduplicated (tagged loaded_in_run = run_seq), and rebuilds every session that has a
    new event, from all of its stored events. The derived tables take the rebuilt sessions with delete+insert
    after deleting what those sessions held before (snowplow_delete_reprocessed_sessions). -#}

{#- How the models that update their tables in place (the delete+insert ones, and the cut-keyed ones) are
    materialized: incremental where the warehouse deletes rows (DuckDB, PostgreSQL). Where it cannot (Spark
    with plain Parquet tables: macros/spark.sql) they are tables rebuilt whole, but the Snowplow models, which
    overwrite there the partitions a run touches (snowplow_stateful_rows); where even that cannot be done
    (Spark over a SQL endpoint), every run is a full run (snowplow_previous_run_state), so a run there equals
    a full refresh by construction. -#}
{% macro stateful_materialization() %}
    {{ return(adapter.dispatch('stateful_materialization', 'article_recs')()) }}
{% endmacro %}
{% macro default__stateful_materialization() %}{{ return('incremental') }}{% endmacro %}

{#- Whether the Snowplow models update their tables run by run (else every run is a full run): where the
    stateful models are incremental; on Spark, where insert_overwrite can be used (macros/spark.sql). -#}
{% macro snowplow_runs_incremental() %}
    {{ return(adapter.dispatch('snowplow_runs_incremental', 'article_recs')()) }}
{% endmacro %}
{% macro default__snowplow_runs_incremental() %}{{ return(stateful_materialization() == 'incremental') }}{% endmacro %}

{#- The models whose tables carry state from run to run. A run over a warehouse where one of them (selected
    in this invocation) does not exist yet is a full run. -#}
{% macro snowplow_incremental_models() %}
    {{ return([
        'int_events_deduplicated',
        'int_events_load_outcomes',
        'int_sessions_lifecycle',
        'int_articles_aggregated',
        'page_views',
        'sessions',
        'users',
        'interactions',
        'events_quarantine',
    ]) }}
{% endmacro %}

{#- The relation of a model of this project in the warehouse, without ref() (no dependency: used to read the
    previous run's state of a model that is built later in the DAG). None when it does not exist. -#}
{% macro snowplow_existing_relation(model_name) %}
    {#- graph has no nodes while a unit test compiles: the model then sees no previous state. -#}
    {%- if not execute or graph.get('nodes') is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.article_recs.' ~ model_name) -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{#- True when the relation has a column of that name (False while parsing or when it does not exist). -#}
{% macro snowplow_relation_has_column(relation, column_name) %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if existing is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for column in adapter.get_columns_in_relation(existing) -%}
        {%- if column.name | lower == column_name | lower -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}

{#- The state the previous runs left, read when int_run_window is built (the first model of a run, after the
    run manifest int_runs_completed): is_full_refresh (--full-refresh, no completed run recorded, a selected
    stateful table missing, the last run read another events source, or the last run started as a full run and
    did not complete), the load high-water mark and run number of the last completed run (the next run reads
    from that high-water mark minus the lookback and rebuilds every session with an event stored after that
    run: a run killed part-way loses nothing), and the number of this run (1 + the latest run number anywhere:
    the event store, the run log, the manifest, the previous int_run_window). -#}
{% macro snowplow_previous_run_state() %}
    {%- set state = {
        'is_full_refresh': true, 'high_water_mark': none, 'run_seq': 1, 'last_completed_run_seq': 0,
        'missing': [],
    } -%}
    {%- if not execute -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set missing = [] -%}
    {%- set seqs = [0] -%}
    {%- for model_name in snowplow_incremental_models() -%}
        {%- set unique_id = 'model.article_recs.' ~ model_name -%}
        {%- if unique_id in selected_resources and snowplow_existing_relation(model_name) is none -%}
            {%- do missing.append(model_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set store = snowplow_existing_relation('int_events_deduplicated') -%}
    {%- if store is not none and not snowplow_relation_has_column(store, 'loaded_in_run') -%}
        {#- a table an older version of the models built: start over -#}
        {%- set store = none -%}
    {%- endif -%}
    {%- if store is not none -%}
        {%- do seqs.append(run_query('select max(loaded_in_run) from ' ~ store).rows[0][0] or 0) -%}
    {%- endif -%}
    {%- set completed = snowplow_existing_relation('int_runs_completed') -%}
    {%- set completed_ids = [] -%}
    {%- if completed is not none -%}
        {%- set last_completed = run_query(
            'select run_seq, high_water_mark from ' ~ completed ~ ' order by run_seq desc limit 1'
        ).rows -%}
        {%- if last_completed | length > 0 -%}
            {%- do seqs.append(last_completed[0][0]) -%}
            {%- do state.update({
                'high_water_mark': last_completed[0][1],
                'last_completed_run_seq': last_completed[0][0],
            }) -%}
            {%- set completed_ids = run_query('select run_id from ' ~ completed).columns[0].values() | list -%}
        {%- else -%}
            {%- do missing.append('(no completed run recorded)') -%}
        {%- endif -%}
    {%- endif -%}
    {%- set previous_window = snowplow_existing_relation('int_run_window') -%}
    {%- if previous_window is not none -%}
        {%- set started = run_query('select run_id, run_seq, is_full_refresh from ' ~ previous_window).rows -%}
        {%- if started | length > 0 -%}
            {%- do seqs.append(started[0][1]) -%}
            {%- if started[0][2] and started[0][0] not in completed_ids -%}
                {%- do missing.append('(the last run started as a full run and did not complete)') -%}
            {%- elif started[0][0] not in completed_ids and not snowplow_unfinished_run_is_replayable() -%}
                {%- do missing.append('(the last run did not complete, and on ' ~ target.type ~ ' a run cut short '
                    ~ 'may have left a partition half overwritten)') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- set run_stats = snowplow_existing_relation('snowplow_run_stats') -%}
    {%- if run_stats is not none -%}
        {%- set last_run = run_query(
            'select run_seq, events_source from ' ~ run_stats ~ ' order by run_seq desc limit 1'
        ).rows -%}
        {%- if last_run | length > 0 -%}
            {%- do seqs.append(last_run[0][0]) -%}
            {%- if last_run[0][1] != var('article_recs__events_source') -%}
                {#- another source fed the tables: start over -#}
                {%- do missing.append('(events source changed: ' ~ last_run[0][1] ~ ')') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if not snowplow_runs_incremental() -%}
        {%- do missing.append('(every run is a full run on ' ~ target.type ~ ')') -%}
    {%- endif -%}
    {%- set is_full_refresh = flags.FULL_REFRESH or store is none or completed is none or missing | length > 0 -%}
    {%- do state.update({
        'is_full_refresh': is_full_refresh,
        'run_seq': (seqs | max) + 1,
        'missing': missing,
    }) -%}
    {%- if is_full_refresh -%}
        {%- do state.update({'high_water_mark': none, 'last_completed_run_seq': 0}) -%}
    {%- endif -%}
    {{ return(state) }}
{% endmacro %}

{#- On-run-end hook: record the run in the run manifest (int_runs_completed) when it completed, i.e. when
    int_run_window, the manifest and every stateful Snowplow model were built without error in this
    invocation. A run killed or failed part-way records nothing: the next run reprocesses everything stored
    since the last completed run (dbt-snowplow-web's snowplow_incremental_post_hook). -#}
{% macro snowplow_record_completed_run(results) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set succeeded = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model' and result.status == 'success' -%}
            {%- do succeeded.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for model_name in ['int_run_window', 'int_runs_completed'] + snowplow_incremental_models() -%}
        {%- if model_name not in succeeded -%}{{ return('') }}{%- endif -%}
    {%- endfor -%}
    {%- set manifest = snowplow_existing_relation('int_runs_completed') -%}
    {%- set run_window = snowplow_existing_relation('int_run_window') -%}
    {%- set store = snowplow_existing_relation('int_events_deduplicated') -%}
    {%- if flags.WHICH not in ('run', 'build') or manifest is none or run_window is none or store is none -%}
        {#- compile / docs generate report their nodes as successes without building them -#}
        {{ return('') }}
    {%- endif -%}
    insert into {{ manifest }} (run_id, run_seq, is_full_refresh, high_water_mark, completed_at)
    select
        run_window.run_id,
        run_window.run_seq,
        run_window.is_full_refresh,
        (select max(store.load_tstamp) from {{ store }} as store),
        {{ dbt.current_timestamp() }}
    from {{ run_window }} as run_window
    where run_window.run_id = '{{ invocation_id }}'
    {{- snowplow_hook_commit() }}
{% endmacro %}

{#- on-run-* hooks run outside dbt's transactions: PostgreSQL (not autocommit) needs an explicit commit;
    DuckDB's connection autocommits and refuses a commit without a transaction. -#}
{% macro snowplow_hook_commit() %}
    {{ return(adapter.dispatch('snowplow_hook_commit', 'article_recs')()) }}
{% endmacro %}
{% macro default__snowplow_hook_commit() %}{{ return(';\ncommit') }}{% endmacro %}
{% macro duckdb__snowplow_hook_commit() %}{{ return('') }}{% endmacro %}

{#- window_start of this run as a SQL timestamp literal, read from int_run_window when the model is executed,
    or none (read everything). Only for filters that must be constants: DuckDB skips files on a filter on
    the file name only when the filter is a constant (a subquery reads every file). -#}
{% macro snowplow_window_start_literal() %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set run_window = snowplow_existing_relation('int_run_window') -%}
    {%- if run_window is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query('select window_start from ' ~ run_window) -%}
    {%- if result.rows | length == 0 or result.rows[0][0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("cast('" ~ result.rows[0][0] ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}

{#- The patterns of seeds/bot_useragent_patterns.csv as one SQL string literal ('bot|crawl|...'), read when the
    model runs, for int_events_validated: a constant pattern is compiled once, a pattern read from a table once
    per row. The model keeps a `-- depends_on:` ref to the seed, so the seed is built first; where it does not
    exist yet (compiling or linting an empty warehouse) this is the subquery that reads it, the same patterns
    (and the same error when a run needs them). None while parsing, when the seed has no pattern (then nothing
    is a bot by its user agent), and in unit tests (no graph), which override it. -#}
{% macro snowplow_bot_regex_literal() %}
    {%- if not execute or graph.get('nodes') is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set seed = ref('bot_useragent_patterns') -%}
    {%- set aggregate = dbt.listagg('pattern', "'|'") ~ ' from ' ~ seed ~ ' where pattern is not null' -%}
    {%- if adapter.get_relation(database=seed.database, schema=seed.schema, identifier=seed.identifier) is none -%}
        {{ return('(select ' ~ aggregate ~ ')') }}
    {%- endif -%}
    {%- set regex = run_query('select ' ~ aggregate).rows[0][0] -%}
    {%- if regex is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("'" ~ (regex | replace("'", "''")) ~ "'") }}
{% endmacro %}

{#- True when this run is a full run (int_run_window.is_full_refresh): every partition is read and every
    session rebuilt. False while parsing and in unit tests (they set is_incremental themselves). -#}
{% macro snowplow_run_is_full() %}
    {%- if not execute or graph.get('nodes') is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set run_window = snowplow_existing_relation('int_run_window') -%}
    {%- if run_window is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set rows = run_query('select is_full_refresh from ' ~ run_window).rows -%}
    {{ return(rows | length == 0 or rows[0][0]) }}
{% endmacro %}

{#- is_incremental(), and this run is not a full run: the model may update its table in place. In a full run
    an existing table (say, of a warehouse where another stateful table was dropped, or built by an older
    version of the models) is emptied by snowplow_full_run_truncate and filled again from scratch. -#}
{% macro snowplow_is_incremental() %}
    {{ return(is_incremental() and not snowplow_run_is_full()) }}
{% endmacro %}

{#- Pre-hook of every stateful model: in a full run over an existing table, empty it first (the model then
    inserts everything; on_schema_change='sync_all_columns' brings its columns up to date). The core marts have
    enforced contracts, which dbt allows only with 'append_new_columns' or 'fail': they take 'append_new_columns'
    (a column a newer contract declares is added); dropping a column, or giving an existing table a contract's
    new type, needs `dbt build -s +page_views+ --full-refresh`. -#}
{% macro snowplow_full_run_truncate() %}
    {%- if is_incremental() and snowplow_run_is_full() -%}
    {{ snowplow_truncate(this) }}
    {%- endif -%}
{% endmacro %}
{% macro snowplow_truncate(relation) %}
    {{ return(adapter.dispatch('snowplow_truncate', 'article_recs')(relation)) }}
{% endmacro %}
{% macro default__snowplow_truncate(relation) %}delete from {{ relation }}{% endmacro %}

{#- Whether a run that did not complete leaves every stateful table as a whole number of statements left it,
    so that the next run, which reprocesses everything stored since the last completed run, equals a full
    refresh: true where the deletes and inserts are transactional (DuckDB, PostgreSQL), not on Spark
    (macros/spark.sql). Where it is false, the run after one that did not complete is a full run. -#}
{% macro snowplow_unfinished_run_is_replayable() %}
    {{ return(adapter.dispatch('snowplow_unfinished_run_is_replayable', 'article_recs')()) }}
{% endmacro %}
{% macro default__snowplow_unfinished_run_is_replayable() %}{{ return(true) }}{% endmacro %}

{#- The rows an incremental model writes, `final` being the CTE of its rebuilt rows (the models of
    snowplow_incremental_models, rec_clicks and rec_impressions end with it): where the warehouse deletes rows, those rows (the model's
    delete+insert and pre-hooks delete what they replace). On Spark, the whole content of every partition
    (partition_by) the run touches: the rebuilt rows, and the table's other rows of those partitions but the
    ones the run replaces - by unique_key, or matching one of `replaced` (conditions on the table's row, alias
    stored: what the pre-hooks delete elsewhere). macros/spark.sql. -#}
{% macro snowplow_stateful_rows(final, partition_by, replaced=[]) %}
    {{ return(adapter.dispatch('snowplow_stateful_rows', 'article_recs')(final, partition_by, replaced)) }}
{% endmacro %}
{% macro default__snowplow_stateful_rows(final, partition_by, replaced) %}select * from {{ final }}{% endmacro %}

{#- Pre-hook of the tables rebuilt per session (page_views, sessions): delete what the sessions rebuilt in this
    run held before - every session of int_sessions_this_run, and every derived session (no domain_sessionid)
    of the readers whose derived sessions are recomputed. The model then inserts the rebuilt rows. Two deletes,
    each on an indexed key, not one with an `or` of both: Postgres plans the `or` as a scan of the whole table. -#}
{% macro snowplow_delete_reprocessed_sessions() %}
    {%- if snowplow_is_incremental() and snowplow_deletes_in_place() -%}
    {%- for condition in snowplow_reprocessed_sessions() %}
    delete from {{ this }}
    where {{ condition }}{{ ';' if not loop.last }}
    {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{#- The rows of the sessions rebuilt in this run (page_views, sessions), as conditions on a row of the table. -#}
{% macro snowplow_reprocessed_sessions() %}
    {%- set sessions -%}
    domain_sessionid in (
        select session_key from {{ ref('int_sessions_this_run') }}
        where not is_derived_session
    )
    {%- endset -%}
    {%- set derived_sessions -%}
    is_derived_session
        and domain_userid in (
            select domain_userid from {{ ref('int_sessions_this_run') }}
            where is_derived_session
        )
    {%- endset -%}
    {{ return([sessions, derived_sessions]) }}
{% endmacro %}

{#- False where rows are not deleted in place (Spark: the pre-hooks delete nothing, snowplow_stateful_rows
    leaves the replaced rows out of the partitions it overwrites). -#}
{% macro snowplow_deletes_in_place() %}
    {{ return(adapter.dispatch('snowplow_deletes_in_place', 'article_recs')()) }}
{% endmacro %}
{% macro default__snowplow_deletes_in_place() %}{{ return(true) }}{% endmacro %}

{#- A --full-refresh of a stateful model rebuilds it from this run's scratch tables: that is only complete when
    the whole run is a full run, i.e. when int_run_window is rebuilt in the same invocation. -#}
{% macro snowplow_guard_full_refresh() %}
    {%- if execute and flags.FULL_REFRESH and 'model.article_recs.int_run_window' not in selected_resources -%}
        {{ exceptions.raise_compiler_error(
            "--full-refresh of " ~ this ~ " needs int_run_window in the selection: full-refresh the Snowplow "
            ~ "models together, e.g. `dbt build -s +page_views+ --full-refresh`."
        ) }}
    {%- endif -%}
{% endmacro %}

{#- The event fields the event store keeps (int_events_validated passes exactly these on). -#}
{% macro snowplow_event_columns() %}
    {{ return([
        'event_id', 'app_id', 'event', 'page_view_id', 'domain_userid', 'domain_sessionid', 'domain_sessionidx',
        'collector_tstamp', 'dvce_created_tstamp', 'dvce_sent_tstamp', 'derived_tstamp',
        'page_url', 'page_title', 'page_referrer', 'page_urlhost', 'page_urlpath',
        'refr_urlhost', 'refr_medium', 'refr_source',
        'pp_yoffset_min', 'pp_yoffset_max', 'doc_height', 'br_viewheight',
        'dvce_ismobile', 'yauaa_device_class',
    ]) }}
{% endmacro %}

{#- The columns of the event store (int_events_deduplicated), in order: the event fields, then where and
    when each row was loaded. -#}
{% macro snowplow_stored_event_columns() %}
    {{ return(
        snowplow_event_columns() + ['load_tstamp', 'load_partition', 'line_hash', 'is_late', 'loaded_in_run']
    ) }}
{% endmacro %}

{#- Pre-hook of an incremental model: delete the rows whose key (one or more text columns) is listed in
    `keys_relation`, so that keys the run recomputes to nothing disappear too. Matched column by column (an
    expression over the columns, such as a concatenation, would keep Postgres from using the key's index and
    scan the whole table). -#}
{% macro snowplow_delete_keys(keys_relation, columns) %}
    {%- if snowplow_is_incremental() and snowplow_deletes_in_place() -%}
    delete from {{ this }} as stored
    where {{ snowplow_key_listed(keys_relation, columns) }}
    {%- endif -%}
{% endmacro %}

{#- The row (alias stored) has its key listed in keys_relation. -#}
{% macro snowplow_key_listed(keys_relation, columns) -%}
    exists (
        select 1 from {{ keys_relation }} as run_keys
        where
        {%- for column in columns %}
            {{ 'and ' if not loop.first }}run_keys.{{ column }} = stored.{{ column }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Plausible event times (collector_tstamp, derived_tstamp: what the windows, sessions and as_of read).
    An event cannot be collected after it was loaded, nor after this run started reading it: the latest
    plausible time is the earlier of the end of its load hour and the run's start, plus
    article_recs__future_tolerance_hours. Nothing happened before article_recs__earliest_event_tstamp.
    Events outside are quarantined (timestamp_in_future, timestamp_before_floor): one 2099 event would
    otherwise become every site's as_of. -#}
{% macro snowplow_latest_plausible_tstamp(load_tstamp) -%}
    {%- set run_start = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {{ dbt.dateadd(
        'hour',
        var('article_recs__future_tolerance_hours') | int,
        'least(coalesce(' ~ dbt.dateadd('hour', 1, load_tstamp) ~ ', ' ~ run_start ~ '), ' ~ run_start ~ ')'
    ) }}
{%- endmacro %}

{% macro snowplow_earliest_plausible_tstamp() -%}
    cast('{{ var("article_recs__earliest_event_tstamp") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- dbt's hook for a data test's `where` config (the project's version of dbt's own get_where_subquery). A test
    whose `where` is `__snowplow_this_run__` judges only the rows the Snowplow run stored since the last
    completed run (loaded_in_run: this run's rows, and a killed run's) on an incremental run, and every row on
    a full run: the event store's keys cannot collide with older rows (delete+insert on event_id), so checking
    the new rows is the check, and a two-hourly run no longer scans the whole store for it. Any other `where`
    is used as dbt uses it. `__recommender_this_run__`, alone: the cuts this run added to a cut-keyed
    recommender table (recommender_this_run_relation, macros/recommender_tests.sql). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == '__recommender_this_run__' -%}
        {{ return(recommender_this_run_relation(relation)) }}
    {%- endif -%}
    {%- if where and '__snowplow_this_run__' in where -%}
        {%- set run_window = snowplow_existing_relation('int_run_window') -%}
        {%- set this_run = '1 = 1' -%}
        {%- if run_window is not none and not snowplow_run_is_full() -%}
            {%- set last_completed = run_query('select last_completed_run_seq from ' ~ run_window).rows[0][0] -%}
            {%- set this_run = 'loaded_in_run > ' ~ last_completed -%}
        {%- endif -%}
        {%- set where = where | replace('__snowplow_this_run__', this_run) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#- The load partition of a row of atomic.events with a load_tstamp: its load batch. -#}
{% macro snowplow_atomic_load_partition(load_tstamp) -%}
    'atomic/' || coalesce(cast({{ load_tstamp }} as {{ dbt.type_string() }}), 'unknown')
{%- endmacro %}

{#- Where an incremental run over atomic.events with a load_tstamp starts reading, as a SQL timestamp literal:
    the first load batch from window_start on that no run has read yet (int_events_load_outcomes has no row
    for it). load_tstamp is the time of loading, so batches arrive in order and a batch once read never grows:
    there is nothing late to look back for, except a load transaction that was still open when the previous
    run read (its rows carry its start time) - the lookback window still covers those. Right after a bulk load
    the lookback would otherwise cover every row (issue #17: the next run re-read the whole store). Batches
    after the first unread one that were read already are read again and change nothing. None when this is not
    such a run (a file source, a full run, no load_tstamp column): the run window applies as it is. -#}
{% macro snowplow_atomic_read_from(window_start) %}
    {%- if not execute or window_start is none or var('article_recs__events_source') != 'atomic' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set events = source('snowplow_atomic', 'events') -%}
    {%- set outcomes = snowplow_existing_relation('int_events_load_outcomes') -%}
    {%- if outcomes is none or not snowplow_relation_has_column(events, 'load_tstamp') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select min(batches.load_tstamp)
        from (
            select distinct events.load_tstamp
            from {{ events }} as events
            where events.load_tstamp >= {{ window_start }}
        ) as batches
        where not exists (
            select 1 from {{ outcomes }} as outcomes
            where outcomes.load_partition = {{ snowplow_atomic_load_partition('batches.load_tstamp') }}
        )
    {%- endset -%}
    {%- set first_unread = run_query(query).rows[0][0] -%}
    {%- if first_unread is none -%}
        {#- nothing new: a time after every batch -#}
        {{ return("cast('9999-12-31 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
    {%- endif -%}
    {{ return("cast('" ~ first_unread ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}
