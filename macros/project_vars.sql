{#- The vars this project documents (dbt_project.yml, `vars:`), and the on-run-start check of the vars a run
    is given: a misspelled article_recs__ var (say article_recs__events_pth) would otherwise be ignored
    silently and the default used. tests/python/test_project_vars.py keeps the list equal to dbt_project.yml. -#}
{% macro article_recs_documented_vars() %}
    {{ return([
        'article_recs__ab_arms',
        'article_recs__als_alpha',
        'article_recs__als_factors',
        'article_recs__als_iterations',
        'article_recs__als_regularization',
        'article_recs__als_seed',
        'article_recs__als_threads',
        'article_recs__article_metadata_path',
        'article_recs__as_of',
        'article_recs__atomic_schema',
        'article_recs__bot_filtering',
        'article_recs__click_read_window_minutes',
        'article_recs__content_window_days',
        'article_recs__covisitation_half_life_hours',
        'article_recs__covisitation_max_gap',
        'article_recs__covisitation_window_days',
        'article_recs__cut_batch_sources',
        'article_recs__days_late_allowed',
        'article_recs__decay_half_life_days',
        'article_recs__earliest_event_tstamp',
        'article_recs__engaged_read_seconds',
        'article_recs__enriched_fields',
        'article_recs__eval_bootstrap_samples',
        'article_recs__eval_bootstrap_seed',
        'article_recs__eval_k',
        'article_recs__events_path',
        'article_recs__events_source',
        'article_recs__excluded_app_ids',
        'article_recs__future_tolerance_hours',
        'article_recs__ground_truth_path',
        'article_recs__heartbeat',
        'article_recs__holdout_hours',
        'article_recs__knn_max_reads_per_reader',
        'article_recs__knn_min_co_readers',
        'article_recs__knn_reader_neighbours',
        'article_recs__lookback_window_hours',
        'article_recs__max_article_age_days',
        'article_recs__max_dwell_s',
        'article_recs__max_session_days',
        'article_recs__min_article_readers',
        'article_recs__min_dwell_s',
        'article_recs__min_reader_articles',
        'article_recs__min_reader_total_dwell_s',
        'article_recs__min_visit_length',
        'article_recs__models_to_keep',
        'article_recs__popularity_half_life_days',
        'article_recs__popularity_top_n',
        'article_recs__popularity_window_days',
        'article_recs__quality_max_dwell_per_read_s',
        'article_recs__quality_raw_max_age_days',
        'article_recs__quality_raw_tolerance_pct',
        'article_recs__quality_sample_rows',
        'article_recs__quarantine_error_pct',
        'article_recs__quarantine_warn_pct',
        'article_recs__ranker_default_candidates',
        'article_recs__ranker_depth',
        'article_recs__ranker_iterations',
        'article_recs__ranker_learning_rate',
        'article_recs__ranker_loss',
        'article_recs__ranker_min_training_groups',
        'article_recs__ranker_permutations',
        'article_recs__ranker_pool_sites',
        'article_recs__ranker_refit_hours',
        'article_recs__ranker_seed',
        'article_recs__ranker_threads',
        'article_recs__ranker_training_hours',
        'article_recs__recs_per_source',
        'article_recs__retrain_hours',
        'article_recs__serving_fallback_strategy',
        'article_recs__session_timeout_minutes',
        'article_recs__training_window_days',
        'article_recs__trending_half_life_hours',
        'article_recs__trending_window_hours',
    ]) }}
{% endmacro %}

{#- Character bigrams of a name, for the suggestion. -#}
{% macro article_recs_bigrams(name) %}
    {%- set bigrams = [] -%}
    {%- for i in range(name | length - 1) -%}
        {%- do bigrams.append(name[i:i + 2]) -%}
    {%- endfor -%}
    {{ return(bigrams) }}
{% endmacro %}

{#- The documented var most like `name` (Dice coefficient of character bigrams). -#}
{% macro article_recs_closest_var(name) %}
    {%- set ns = namespace(best=none, score=0) -%}
    {%- set given = article_recs_bigrams(name) -%}
    {%- for candidate in article_recs_documented_vars() -%}
        {%- set theirs = article_recs_bigrams(candidate) -%}
        {%- set shared = given | select('in', theirs) | list | length -%}
        {%- set score = 2.0 * shared / ((given | length) + (theirs | length)) -%}
        {%- if score > ns.score -%}
            {%- set ns.best = candidate -%}
            {%- set ns.score = score -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ns.best) }}
{% endmacro %}

{#- on-run-start: fail the run, before any model, when --vars holds an article_recs__ var that is not
    documented, naming the closest documented one. -#}
{% macro check_cli_vars() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set given = invocation_args_dict.get('vars') or {} -%}
    {%- if given is string -%}
        {%- set given = fromyaml(given) or {} -%}
    {%- endif -%}
    {%- set documented = article_recs_documented_vars() -%}
    {%- set problems = [] -%}
    {%- for name in given -%}
        {%- if name.startswith('article_recs') and name not in documented -%}
            {%- do problems.append(
                name ~ ' (did you mean ' ~ article_recs_closest_var(name) ~ '?)'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            'unknown var' ~ ('s' if problems | length > 1 else '') ~ ' in --vars: ' ~ problems | join(', ')
            ~ '. The vars are documented in dbt_project.yml.'
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
