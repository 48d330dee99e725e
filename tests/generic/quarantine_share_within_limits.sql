{#- The share of quarantined events: one row (level warn) above var article_recs__quarantine_warn_pct (%),
    a second row (level error) above var article_recs__quarantine_error_pct (%). Configure the test with
    warn_if: ">0" and error_if: ">1" so one row warns and two rows fail the build. -#}
{% test quarantine_share_within_limits(model) %}

with

counts as (

    select
        count(*) as events,
        sum(case when quarantine_reason is not null then 1 else 0 end) as quarantined

    from {{ model }}

),

shares as (

    select
        events,
        quarantined,
        100.0 * quarantined / nullif(events, 0) as quarantined_pct

    from counts

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
