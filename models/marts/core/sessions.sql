{#- One row per session (domain_sessionid). -#}

select * from {{ ref('int_sessions_aggregated') }}
