{#- The model registry's shared pieces: model ids, params JSON, retention, and the on-run-end hook that records
    failed training runs. See models/marts/recommender/_recommender__models.yml (model_registry) for the life
    cycle of a model. -#}

{#- The suffix every model of this dbt invocation carries: '-' + run_started_at as %Y%m%dT%H%M%S (UTC). -#}
{% macro recommender_model_suffix() -%}
    -{{ run_started_at.strftime('%Y%m%dT%H%M%S') }}
{%- endmacro %}

{#- model_id = <site>-<strategy>-<run_started_at %Y%m%dT%H%M%S>, as a SQL expression. -#}
{% macro recommender_model_id(site_expression, strategy_expression) -%}
    {{ dbt.concat([site_expression, "'-'", strategy_expression, "'" ~ recommender_model_suffix() ~ "'"]) }}
{%- endmacro %}

{#- The run's start (UTC) as a timestamp literal: trained_at of the models of this run. -#}
{% macro recommender_run_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- A JSON object (text) of `knobs`, columns of the relation aliased `alias` (recommender_sites), plus as_of and
    the `constants` (name -> value rendered as is: project vars a model reads that have no column in `alias`,
    e.g. the ALS hyper-parameters). Keys are sorted. -#}
{% macro recommender_params_json(alias, knobs, constants={}) -%}
    {%- set entries = {} %}
    {%- for knob in knobs %}
        {%- do entries.update({knob: "cast(" ~ alias ~ "." ~ knob ~ " as " ~ dbt.type_string() ~ ")"}) %}
    {%- endfor %}
    {%- for name, value in constants.items() %}
        {%- do entries.update({name: "'" ~ dbt.escape_single_quotes(value | string) ~ "'"}) %}
    {%- endfor %}
    {%- set parts = ["'{\"as_of\": \"'", "cast(" ~ alias ~ ".as_of as " ~ dbt.type_string() ~ ")", "'\"'"] %}
    {%- for name in entries | sort %}
        {%- do parts.append("', \"" ~ name ~ "\": '") %}
        {%- do parts.append(entries[name]) %}
    {%- endfor %}
    {%- do parts.append("'}'") %}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The model_ids a registry relation keeps (a subquery over `relation`, which has model_id, site_id, strategy,
    trained_at, status): per (site, strategy), the models_to_keep most recent models that did not fail
    (the newest of them is the current one), and the failed attempts no older than the oldest kept model
    (at most models_to_keep of them). The model and its post-hook use the same rule, so the hook deletes
    exactly the rows the model dropped. -#}
{% macro registry_kept_model_ids(relation) -%}
    {%- set keep = var('article_recs__models_to_keep') | int -%}
    select model_id from (
        select
            model_id,
            row_number() over (
                partition by site_id, strategy order by trained_at desc, model_id desc
            ) as recency
        from {{ relation }}
        where status <> 'failed'
    ) as live
    where live.recency <= {{ keep }}
    union all
    select model_id from (
        select
            failed.model_id,
            failed.trained_at,
            oldest.oldest_kept_at,
            row_number() over (
                partition by failed.site_id, failed.strategy
                order by failed.trained_at desc, failed.model_id desc
            ) as recency
        from {{ relation }} as failed
        left join (
            select
                site_id,
                strategy,
                min(trained_at) as oldest_kept_at
            from (
                select
                    site_id,
                    strategy,
                    trained_at,
                    row_number() over (
                        partition by site_id, strategy order by trained_at desc, model_id desc
                    ) as recency
                from {{ relation }}
                where status <> 'failed'
            ) as ranked
            where ranked.recency <= {{ keep }}
            group by site_id, strategy
        ) as oldest
            on failed.site_id = oldest.site_id and failed.strategy = oldest.strategy
        where failed.status = 'failed'
    ) as failed_attempts
    where
        failed_attempts.recency <= {{ keep }}
        and (
            failed_attempts.oldest_kept_at is null
            or failed_attempts.trained_at >= failed_attempts.oldest_kept_at
        )
{%- endmacro %}

{#- post-hook of model_registry: drop the registry rows the retention rule no longer keeps ... -#}
{% macro registry_retention_sql() -%}
    {%- if stateful_materialization() == 'incremental' -%}
    delete from {{ this }}
    where model_id not in ({{ registry_kept_model_ids(this) }})
    {%- endif -%}
{%- endmacro %}

{#- ... and the recommendations of every model that is not current or stale any more (dropped by retention,
    or written by a run whose registry update never happened: see `pending` in the model docs). -#}
{% macro registry_orphans_sql() -%}
    {%- if stateful_materialization() == 'incremental' -%}
    delete from {{ ref('recommendations') }}
    where model_id not in (
        select model_id from {{ this }} where status in ('current', 'stale')
    )
    {%- endif -%}
{%- endmacro %}


{#- on-run-end: for each strategy model (or a model it is built from: recommender_training_models) that
    errored in this invocation (a Python model raising, a SQL error)
    or whose error-severity data tests failed, insert a `failed` model_registry row per site trained on, with
    the error. dbt skipped everything downstream of the failure (recommendations, model_registry), so the
    current models stay current; the failed row is the trace. Nothing when model_registry does not exist yet
    (the first run ever failed: there is no current model to keep either). -#}
{% macro record_failed_recommender_models(results) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set strategies = recommender_training_models() -%}{#- model name -> strategy -#}
    {%- set failures = {} -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'model' and node.name in strategies and result.status == 'error' -%}
            {%- do failures.update({strategies[node.name]: 'training failed: ' ~ recommender_error_summary(result.message)}) -%}
        {%- elif node.resource_type == 'test' and result.status in ('fail', 'error') -%}
            {%- set attached = (node.attached_node or '').split('.') | last -%}
            {%- if attached in strategies and strategies[attached] not in failures -%}
                {%- do failures.update({
                    strategies[attached]: 'data test ' ~ node.name ~ ' ' ~ result.status ~ ': '
                        ~ recommender_error_summary(result.message)
                }) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not failures -%}{{ return('') }}{%- endif -%}

    {%- set relations = {} -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
            and node.name in ('model_registry', 'recommender_sites', 'recommender_training_interactions') -%}
            {%- do relations.update({node.name: adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias or node.name
            )}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not relations.get('model_registry') or not relations.get('recommender_sites')
        or not relations.get('recommender_training_interactions') -%}
        {{ log('model_registry: not built yet, failed training not recorded: ' ~ failures | tojson, info=true) }}
        {{ return('') }}
    {%- endif -%}

    {%- set statements = [] -%}
    {%- for strategy, message in failures.items() | sort -%}
        {%- set text = message | replace('\n', ' ') | truncate(2000, true, '...') -%}
        {%- do statements.append(
            "insert into " ~ relations['model_registry'] ~ " (model_id, run_id, site_id, strategy, trained_at, "
            ~ "train_window_start, train_window_end, status, error_message) "
            ~ "select " ~ recommender_model_id('sites.site_id', "'" ~ strategy ~ "'") ~ ", "
            ~ "'" ~ invocation_id ~ "', sites.site_id, '" ~ strategy ~ "', " ~ recommender_run_timestamp() ~ ", "
            ~ dbt.dateadd('day', '-1 * sites.training_window_days', 'sites.as_of') ~ ", sites.as_of, 'failed', "
            ~ "'" ~ dbt.escape_single_quotes(text) ~ "' "
            ~ "from " ~ relations['recommender_sites'] ~ " as sites "
            ~ "where sites.site_id in (select site_id from " ~ relations['recommender_training_interactions'] ~ ") "
            ~ "and " ~ recommender_model_id('sites.site_id', "'" ~ strategy ~ "'") ~ " not in "
            ~ "(select model_id from " ~ relations['model_registry'] ~ ")"
        ) -%}
        {{ log('model_registry: recorded failed ' ~ strategy ~ ' training: ' ~ text, info=true) }}
    {%- endfor -%}
    {{ statements | join(';\n') }}{{ recommender_hook_commit() }}
{% endmacro %}

{#- The first line of an error and, for a traceback, its last line (the exception itself). -#}
{% macro recommender_error_summary(message) %}
    {%- set lines = [] -%}
    {%- for line in (message or 'error').split('\n') -%}
        {%- if line.strip() -%}{%- do lines.append(line.strip()) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not lines -%}{{ return('error') }}{%- endif -%}
    {{ return(lines[0] if lines | length == 1 else lines[0] ~ ' ... ' ~ lines[-1]) }}
{% endmacro %}

{#- on-run-* hooks run outside dbt's transactions: PostgreSQL (not autocommit) needs an explicit commit;
    DuckDB's connection autocommits and refuses a commit without a transaction. -#}
{% macro recommender_hook_commit() %}
    {{ return(adapter.dispatch('recommender_hook_commit', 'article_recs')()) }}
{% endmacro %}
{% macro default__recommender_hook_commit() %}{{ return(';\ncommit') }}{% endmacro %}
{% macro duckdb__recommender_hook_commit() %}{{ return('') }}{% endmacro %}
