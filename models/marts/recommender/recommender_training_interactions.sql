{#- The reader x article reads a recommender trains on at each cut, with the newsroom job's filters, per site:
    the cut's reads (recommender_cut_reads) whose dwell is between min_dwell_s and max_dwell_s (an unknown dwell,
    null, is not short: it passes) and whose article is no older than max_article_age_days at the cut (its flags
    is_dwell_in_range, is_article_in_age); then articles read by more than min_article_readers readers,
    and readers with more than min_reader_articles articles and over min_reader_total_dwell_s.
    Keyed by (site_id, cut_at), incremental by cut. -#}

{{ cut_keyed_config() }}

with

cuts as (

    {{ cuts_to_build() }}

),

cut_reads as (

    select * from {{ ref('recommender_cut_reads') }}

),

read_filtered as (

    select
        cut_reads.*,
        cuts.min_article_readers,
        cuts.min_reader_articles,
        cuts.min_reader_total_dwell_s

    from cut_reads
    inner join cuts
        on
            cut_reads.site_id = cuts.site_id
            and cut_reads.cut_at = cuts.cut_at
    where cut_reads.is_dwell_in_range and cut_reads.is_article_in_age

),

article_counted as (

    {#- The reader and article thresholds are window counts over the filtered reads, not joins back to grouped
        copies of them: Postgres misestimates such self-joins as one row and plans nested loops that take
        minutes on the demo data. -#}

    select
        read_filtered.*,
        count(*) over (
            partition by read_filtered.site_id, read_filtered.cut_at, read_filtered.article_id
        ) as article_readers

    from read_filtered

),

article_filtered as (

    select * from article_counted
    where article_readers > min_article_readers

),

reader_counted as (

    select
        article_filtered.*,
        count(*) over (
            partition by article_filtered.site_id, article_filtered.cut_at, article_filtered.domain_userid
        ) as reader_articles,
        sum(article_filtered.dwell_s) over (
            partition by article_filtered.site_id, article_filtered.cut_at, article_filtered.domain_userid
        ) as reader_dwell_s

    from article_filtered

),

final as (

    select
        site_id,
        cut_at,
        domain_userid,
        article_id,
        dwell_s,
        reads,
        first_read_at,
        last_read_at

    from reader_counted
    where
        reader_articles > min_reader_articles
        and (reader_dwell_s is null or reader_dwell_s > min_reader_total_dwell_s)

)

select * from final
