{#- The reader x article reads a recommender trains on at each cut, with the newsroom job's filters, per site:
    the cut's reads (recommender_cut_reads) with dwell between min_dwell_s and max_dwell_s (an unknown dwell,
    null, is not short: it passes), of articles no
    older than max_article_age_days at the cut; then articles read by more than min_article_readers readers,
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

articles as (

    select * from {{ ref('articles') }}

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
    inner join articles
        on
            cut_reads.site_id = articles.site_id
            and cut_reads.article_id = articles.article_id
    where
        (cut_reads.dwell_s is null or cut_reads.dwell_s between cuts.min_dwell_s and cuts.max_dwell_s)
        and {{ age_in_days('articles.published_at', 'cuts.cut_at') }} <= cuts.max_article_age_days

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
