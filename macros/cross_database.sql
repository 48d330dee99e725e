{#- Cross-database helpers the shared models use. Each has a duckdb__ and a postgres__ variant;
    the default__ variant is written in the most widely supported SQL. Postgres gives ~ and || the same
    precedence (left to right): patterns are parenthesised so `x ~ '^(' || col || ')'` means what it says. -#}

{#- The first capture group of a regular expression held in a column (or NULL when it does not match). -#}
{% macro regexp_extract_group(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'article_recs')(string, pattern)) }}
{%- endmacro %}
{% macro duckdb__regexp_extract_group(string, pattern) -%}
    nullif(regexp_extract({{ string }}, {{ pattern }}, 1), '')
{%- endmacro %}
{% macro default__regexp_extract_group(string, pattern) -%}
    substring({{ string }} from ({{ pattern }}))
{%- endmacro %}

{#- True when a string matches a regular expression held in a column. -#}
{% macro regexp_like(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'article_recs')(string, pattern)) }}
{%- endmacro %}
{% macro duckdb__regexp_like(string, pattern) -%}
    regexp_matches({{ string }}, {{ pattern }})
{%- endmacro %}
{% macro default__regexp_like(string, pattern) -%}
    ({{ string }} ~ ({{ pattern }}))
{%- endmacro %}

{#- Case-insensitive variant, for user agents. -#}
{% macro regexp_ilike(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_ilike', 'article_recs')(string, pattern)) }}
{%- endmacro %}
{% macro duckdb__regexp_ilike(string, pattern) -%}
    regexp_matches({{ string }}, {{ pattern }}, 'i')
{%- endmacro %}
{% macro default__regexp_ilike(string, pattern) -%}
    ({{ string }} ~* ({{ pattern }}))
{%- endmacro %}

{#- Seconds since the Unix epoch, as a double. -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'article_recs')(ts)) }}
{%- endmacro %}
{% macro duckdb__epoch_seconds(ts) -%}
    (epoch_ms({{ ts }}) / 1000.0)
{%- endmacro %}
{% macro default__epoch_seconds(ts) -%}
    extract(epoch from {{ ts }})
{%- endmacro %}

{#- A cast that gives NULL instead of failing (text sources may hold anything). -#}
{% macro safe_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'article_recs')(expression, data_type)) }}
{%- endmacro %}
{% macro duckdb__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}
{% macro default__safe_cast(expression, data_type) -%}
    cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- The 8-byte floating-point type (dbt.type_float() is the 4-byte `float` on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'article_recs')()) }}
{%- endmacro %}
{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{#- Floating-point division that is NULL when the divisor is 0. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- base ^ exponent as a double. -#}
{% macro power_of(base, exponent) -%}
    power(cast({{ base }} as {{ type_double() }}), {{ exponent }})
{%- endmacro %}

{#- Natural log of (1 + x), as a double (on PostgreSQL a sum of integers is numeric, and ln of a numeric is a
    numeric with other digits than the double DuckDB computes). -#}
{% macro log1p(x) -%}
    ln(1 + cast({{ x }} as {{ type_double() }}))
{%- endmacro %}

{#- Planner settings for the long CTE chains of the SQL recommenders and evaluations, run as a pre-hook
    (dbt_project.yml: marts/recommender, marts/evaluation). PostgreSQL has no statistics on a materialised
    CTE and estimates every filtered or grouped step at one row, then picks nested loops that turn the
    item-kNN self-join into hours (minutes on the demo data); without nested loops the same SQL takes
    seconds. `set local` lasts for the model's own transaction only. DuckDB needs nothing. -#}
{% macro analytical_planner_settings() -%}
    {{ return(adapter.dispatch('analytical_planner_settings', 'article_recs')()) }}
{%- endmacro %}
{% macro default__analytical_planner_settings() -%}
{%- endmacro %}
{% macro postgres__analytical_planner_settings() -%}
    set local enable_nestloop = off
{%- endmacro %}

{#- `not materialized` after `<cte> as` where the engine supports it: a CTE read twice is otherwise
    materialized whole by DuckDB (and may be by Postgres), when inlining lets each read keep only its columns
    and filters. Other engines inline CTEs on their own; there it renders nothing. -#}
{% macro cte_not_materialized() -%}
    {{ return(adapter.dispatch('cte_not_materialized', 'article_recs')()) }}
{%- endmacro %}
{% macro duckdb__cte_not_materialized() -%}
    not materialized
{%- endmacro %}
{% macro postgres__cte_not_materialized() -%}
    not materialized
{%- endmacro %}
{% macro default__cte_not_materialized() -%}
{%- endmacro %}

{#- A number in [0, 1) that is a fixed function of a text expression (a seeded draw: the same text always gives
    the same number on the same engine). -#}
{% macro hash_unit_interval(text_expression) -%}
    {{ return(adapter.dispatch('hash_unit_interval', 'article_recs')(text_expression)) }}
{%- endmacro %}
{% macro duckdb__hash_unit_interval(text_expression) -%}
    (cast(hash({{ text_expression }}) % 1000003 as double precision) / 1000003.0)
{%- endmacro %}
{% macro default__hash_unit_interval(text_expression) -%}
    (cast(((hashtextextended({{ text_expression }}, 0) % 1000003) + 1000003) % 1000003 as double precision) / 1000003.0)
{%- endmacro %}

{#- Post-hook of every table model (dbt_project.yml): on Postgres, `analyze` the table just built, so that the
    next model reading it is planned on its statistics. Without them the planner took a fresh
    int_events_validated of ~29k rows for one row and picked a nested loop of ~29k x 29k index probes in
    int_events_deduplicated (347-360 s of a 360 s incremental run, issue #17). Autovacuum analyzes a table
    only later, not between two models of one run. An incremental table is analyzed when it was filled from
    scratch (first build, full run); a two-hourly run changes it by a few rows, and analyzing a store of
    millions of rows every run would cost more than it tells the planner. Views have no statistics. -#}
{% macro analyze_fresh_table() -%}
    {{ return(adapter.dispatch('analyze_fresh_table', 'article_recs')()) }}
{%- endmacro %}
{% macro default__analyze_fresh_table() -%}
{%- endmacro %}
{% macro postgres__analyze_fresh_table() -%}
    {%- set materialized = config.get('materialized') -%}
    {%- if materialized == 'table'
        or (materialized == 'incremental' and (not is_incremental() or snowplow_run_is_full())) -%}
    analyze {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- A text split on tabs into an array, its length, and its n-th element counted from 1 (the enriched TSV
    reader). DuckDB's arrays are 1-based; spark__ variants (macros/spark.sql) shift to Spark's 0-based ones. -#}
{% macro split_on_tab(text_expression) -%}
    {{ return(adapter.dispatch('split_on_tab', 'article_recs')(text_expression)) }}
{%- endmacro %}
{% macro default__split_on_tab(text_expression) -%}
    string_split({{ text_expression }}, chr(9))
{%- endmacro %}

{% macro array_size(array_expression) -%}
    {{ return(adapter.dispatch('array_size', 'article_recs')(array_expression)) }}
{%- endmacro %}
{% macro default__array_size(array_expression) -%}
    len({{ array_expression }})
{%- endmacro %}

{% macro array_element(array_expression, position) -%}
    {{ return(adapter.dispatch('array_element', 'article_recs')(array_expression, position)) }}
{%- endmacro %}
{% macro default__array_element(array_expression, position) -%}
    {{ array_expression }}[{{ position }}]
{%- endmacro %}

{#- Pre-hook `{{ preserve_insertion_order(false) }}` and post-hook `{{ preserve_insertion_order(true) }}` of a
    model that writes millions of rows in one statement (ranker_candidates on a full build): DuckDB may then
    write rows in any order (the table's rows are the same), which lets it keep less in memory (DuckDB's advice
    for a statement near memory_limit). The setting is global to the connection, so the post-hook resets it.
    Other engines have no such setting. -#}
{% macro preserve_insertion_order(preserve) -%}
    {{ return(adapter.dispatch('preserve_insertion_order', 'article_recs')(preserve)) }}
{%- endmacro %}
{% macro duckdb__preserve_insertion_order(preserve) -%}
    {%- if preserve %}reset preserve_insertion_order{% else %}set preserve_insertion_order = false{% endif -%}
{%- endmacro %}
{% macro default__preserve_insertion_order(preserve) -%}
{%- endmacro %}
