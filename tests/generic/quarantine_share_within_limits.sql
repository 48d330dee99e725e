{#- The share of quarantined lines among the lines a run counted for the first time (snowplow_run_stats'
    new_lines, new_lines_quarantined of the latest run): one row (level warn) above var
    article_recs__quarantine_warn_pct (%), a second row (level error) above var article_recs__quarantine_error_pct
    (%). Configure it with warn_if: ">0" and error_if: ">1" so one row warns and two rows fail. Lines re-read
    in the lookback were judged by the run that first read them, so a bad file fails one run, not every run
    after it. The rows - and a log line printed with the test's result - name the share and the files. -#}
{% test quarantine_share_within_limits(model) %}

{%- set shares_sql -%}
    select
        new_lines,
        new_lines_quarantined,
        100.0 * new_lines_quarantined / nullif(new_lines, 0) as quarantined_pct,
        top_quarantined_files

    from {{ model }}
    where run_seq = (select max(latest.run_seq) from {{ model }} as latest)
{%- endset -%}

{#- the log line needs the table: not when only compiling (dbt compile, docs generate on an empty warehouse) -#}
{%- if execute and load_relation(model) is not none -%}
    {%- set rows = run_query(shares_sql).rows -%}
    {%- if rows | length > 0 and rows[0][2] is not none
        and rows[0][2] > var('article_recs__quarantine_warn_pct') -%}
        {%- set limit = 'error' if rows[0][2] > var('article_recs__quarantine_error_pct') else 'warn' -%}
        {{ log(
            'quarantine share of the lines this run read for the first time: '
            ~ '%.2f' | format(rows[0][2]) ~ '% (' ~ rows[0][1] ~ ' of ' ~ rows[0][0] ~ ' lines), above the '
            ~ limit ~ ' limit of ' ~ var('article_recs__quarantine_' ~ limit ~ '_pct') ~ '%; files: '
            ~ rows[0][3] ~ ' (staging.events_quarantine has each line and its reason)',
            info=true
        ) }}
    {%- endif -%}
{%- endif %}

with

shares as (

    {{ shares_sql }}

)

select
    'warn' as level,
    shares.*

from shares
where quarantined_pct > {{ var('article_recs__quarantine_warn_pct') }}

union all

select
    'error' as level,
    shares.*

from shares
where quarantined_pct > {{ var('article_recs__quarantine_error_pct') }}

{% endtest %}
