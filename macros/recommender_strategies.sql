{#- The strategy models whose own lists recommendation_lists pads (dbt model name -> strategy): each keyed by
    (site_id, cut_at), in the recommendation shape (strategy, source_entity_type 'article' | 'reader' |
    'default', source_entity_id, recommended_article_id, rank, score), named <strategy>_lists. Python ones
    where dbt runs Python models (DuckDB); ranked_lists re-ranks the others' items (ranker_candidates reads
    every model here but itself). The registry's on-run-end hook records a failed model for the strategy of a
    model here that errors. -#}
{% macro recommender_strategy_models() %}
    {%- set models = {
        'popularity_lists': 'popularity',
        'trending_lists': 'trending',
        'item_knn_lists': 'item_knn',
        'covisitation_lists': 'covisitation',
    } %}
    {%- if target.type in ['duckdb', 'spark'] %}
    {%- do models.update({'als_lists': 'als', 'content_lists': 'content', 'ranked_lists': 'ranked'}) %}
    {%- endif %}
    {{ return(models) }}
{% endmacro %}

{#- Every model that trains a strategy (dbt model name -> strategy): the strategy models and the models they
    are built from (item-kNN's reads and neighbours), so that the registry records a failure in any of them as
    that strategy's failed training, not only an error of its lists model. -#}
{% macro recommender_training_models() %}
    {%- set models = recommender_strategy_models() %}
    {%- do models.update({'item_knn_reads': 'item_knn', 'item_knn_neighbours': 'item_knn'}) %}
    {{ return(models) }}
{% endmacro %}

{#- The site's fallback at each cut: its 'default' list pads every strategy's short lists (a strategy with a
    default list of its own, popularity or trending, pads with its own) and answers for an unknown article.
    Trending (the last hours' reads), not the 7-day popularity: news is read on the day it appears. -#}
{% macro recommender_fallback_model() %}
    {{ return('trending_lists') }}
{% endmacro %}
