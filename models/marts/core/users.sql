{#- One row per reader (domain_userid, the first-party cookie id: pseudonymous, per site). -#}

with

sessions as (

    select * from {{ ref('sessions') }}

),

final as (

    select
        domain_userid,
        min(site_id) as site_id,
        min(start_tstamp) as first_seen_at,
        max(end_tstamp) as last_seen_at,
        count(*) as sessions,
        sum(page_views) as page_views,
        sum(engaged_time_in_s) as engaged_time_in_s

    from sessions
    where domain_userid is not null
    group by domain_userid

)

select * from final
