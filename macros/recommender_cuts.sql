{#- Incremental by cut: every strategy model is keyed by (site_id, cut_at) (models/marts/recommender/
    recommender_cuts.sql). A run computes only the cuts its table does not hold yet; the post-hook
    retire_cuts() deletes the cuts recommender_cuts no longer lists (the previous serving cut, cuts that left
    the hold-out window), so each table holds exactly the current cuts. A full refresh computes them all.
    Changing a knob (a var or seeds/sites.csv) takes effect at the next new cut; --full-refresh applies it to
    every cut. -#}

{#- The rows of recommender_cuts (optionally only those matching `condition`) that a run computes: on an
    incremental run, those the model's table does not hold yet. A whole select, for `cuts as ({{ cuts_to_build() }})`.
    batched=true (a model configured with cut_keyed_config(batched=true)): only the first batch of them
    (cut_batches()), named cut by cut; the model's post-hook build_cut_batches() writes the others. -#}
{% macro cuts_to_build(condition=none, batched=false, skip_built=none) -%}
    {%- if batched and condition -%}
        {{ exceptions.raise_compiler_error('cuts_to_build: a batched model builds every cut (no condition)') }}
    {%- endif -%}
    {%- set batches = cut_batches() if batched else [] %}
    select * from {{ ref('recommender_cuts') }} as cuts
    where
        {{ condition or 'true' }}
        {%- if batches %}
        and {{ cut_batch_filter(batches[0]) }}
        {%- elif (is_incremental() if skip_built is none else skip_built) %}
        and not exists (
            select 1
            from {{ this }} as built
            where built.site_id = cuts.site_id and built.cut_at = cuts.cut_at
        )
        {%- endif %}
{%- endmacro %}

{#- Batched builds. A model whose rows grow with the sources at each cut (ranker_candidates: every strategy's
    candidates of every source) cannot compute every cut of a full build in one statement at scale: at 10M
    events, 25 cut times x ~58k sources made ~123M candidate rows, and the one statement spilled past 42 GB. A
    batched model computes the cuts a run builds in batches of consecutive cut times holding at most
    article_recs__cut_batch_sources list sources (recommender_list_sources), one statement per batch, so a full
    build needs the memory of one batch, not of the whole history; a two-hourly run (one new cut time) is one
    batch. The model's own statement computes the first batch (cuts_to_build(batched=true)); the post-hook
    build_cut_batches() inserts the others with the same compiled SQL, its batch filter replaced, a transaction
    per batch. A run stopped between two batches keeps whole cuts: the next run computes the cuts the table
    lacks, as for any cut-keyed model. -#}

{#- The batches of the cuts a run builds (cuts_to_build: on an incremental run, or with
    skip_built=true, those not in the model's table yet; on a full refresh all of them), in cut order: a list of
    batches, each a list of [site_id, cut_at] (cut_at as text) of whole cut times. Empty when nothing is to be
    built, and outside a run (parse, docs, unit tests) and where the model is not batched (Spark). -#}
{% macro cut_batches(skip_built=none) -%}
    {%- if not (execute and config.get('cut_batched') and model.resource_type != 'unit_test') -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if load_relation(ref('recommender_list_sources')) is none %}{{ return([]) }}{% endif -%}
    {%- set sized = run_query(
        'select cuts.site_id, cast(cuts.cut_at as ' ~ dbt.type_string() ~ ') as cut_at,'
        ~ ' count(sources.site_id) as n_sources'
        ~ ' from (' ~ cuts_to_build(skip_built=skip_built) ~ ') as cuts'
        ~ ' left join ' ~ ref('recommender_list_sources') ~ ' as sources'
        ~ ' on sources.site_id = cuts.site_id and sources.cut_at = cuts.cut_at'
        ~ ' group by cuts.site_id, cuts.cut_at order by cuts.cut_at, cuts.site_id'
    ) -%}
    {%- set by_time = {} -%}
    {%- set times = [] -%}
    {%- for site_id, cut_at, n_sources in sized.rows -%}
        {%- if cut_at not in by_time %}{% do times.append(cut_at) %}{% do by_time.update({cut_at: []}) %}{% endif -%}
        {%- do by_time[cut_at].append([site_id, cut_at, n_sources]) -%}
    {%- endfor -%}
    {%- set limit = var('article_recs__cut_batch_sources') | int -%}
    {%- set batches = [] -%}
    {%- set current = namespace(cuts=[], n=0) -%}
    {%- for cut_at in times -%}
        {%- set n_sources = by_time[cut_at] | sum(attribute=2) -%}
        {%- if current.cuts and current.n + n_sources > limit -%}
            {%- do batches.append(current.cuts) -%}
            {%- set current.cuts = [] -%}
            {%- set current.n = 0 -%}
        {%- endif -%}
        {%- for site_id, cut_at_text, n in by_time[cut_at] %}{% do current.cuts.append([site_id, cut_at_text]) %}{% endfor -%}
        {%- set current.n = current.n + n_sources -%}
    {%- endfor -%}
    {%- if current.cuts %}{% do batches.append(current.cuts) %}{% endif -%}
    {{ return(batches) }}
{%- endmacro %}

{#- The predicate on `cuts` of one batch: its cuts by name (so no anti-join with the model's table: with one,
    DuckDB no longer carried the batch's cut times into the scans of the big inputs, and one cut time at 10M
    events ran out of memory where it takes 31-35 s without), under the bounds of their cut times. Between
    markers build_cut_batches() finds in the compiled SQL. -#}
{% macro cut_batch_filter(batch) -%}
    {%- set ts = dbt.type_timestamp() -%}
    /* cut batch */ (
        cuts.cut_at >= cast('{{ batch[0][1] }}' as {{ ts }})
        and cuts.cut_at <= cast('{{ batch[-1][1] }}' as {{ ts }})
        and (
            {%- for site_id, cut_at in batch %}
            {% if not loop.first %}or {% endif %}(cuts.site_id = '{{ site_id | replace("'", "''") }}' and cuts.cut_at = cast('{{ cut_at }}' as {{ ts }}))
            {%- endfor %}
        )
    ) /* end cut batch */
{%- endmacro %}

{#- Post-hook of a batched model (cut_keyed_config(batched=true)), after the commit of its statement (the first
    batch): insert the other batches, each with the model's compiled SQL whose batch filter is swapped for the
    batch's, each committed on its own (a run stopped between two batches keeps the batches it finished). Read
    after that first insert: the cuts still missing from the table are exactly the other batches. -#}
{% macro build_cut_batches() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {#- (not load_relation(this): on a first build dbt's relation cache does not hold the new table yet) -#}
    {%- set batches = cut_batches(skip_built=true) -%}
    {%- set marked = modules.re.compile('/\* cut batch \*/.*?/\* end cut batch \*/', modules.re.DOTALL) -%}
    {%- if batches and marked.search(compiled_code) is none -%}
        {{ exceptions.raise_compiler_error(this ~ ' is batched but its SQL has no cuts_to_build(batched=true)') }}
    {%- endif -%}
    {%- for batch in batches -%}
        {{ log(this.identifier ~ ': cut batch ' ~ (loop.index + 1) ~ ' of ' ~ (loop.length + 1) ~ ' (cut times '
            ~ batch[0][1] ~ ' to ' ~ batch[-1][1] ~ ')', info=true) }}
        {%- call statement('cut_batch', auto_begin=true) -%}
            insert into {{ this }} {{ marked.sub(cut_batch_filter(batch), compiled_code, count=1) }}
        {%- endcall -%}
        {%- do adapter.commit() -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- Post-hook of every cut-keyed model: drop the rows of cuts that recommender_cuts no longer lists (on Spark:
    their partitions, macros/spark.sql). -#}
{% macro retire_cuts() -%}
    {{ return(adapter.dispatch('retire_cuts', 'article_recs')()) }}
{%- endmacro %}
{% macro default__retire_cuts() -%}
    delete from {{ this }}
    where not exists (
        select 1
        from {{ ref('recommender_cuts') }} as cuts
        where cuts.site_id = {{ this }}.site_id and cuts.cut_at = {{ this }}.cut_at
    )
{%- endmacro %}

{#- The config of a cut-keyed model (an incremental append of the new cuts, old cuts retired; on Spark an
    insert_overwrite of the new cuts' partitions, macros/spark.sql). -#}
{% macro cut_keyed_config(batched=false) -%}
    {{ return(adapter.dispatch('cut_keyed_config', 'article_recs')(batched)) }}
{%- endmacro %}
{% macro default__cut_keyed_config(batched=false) -%}
    {%- if stateful_materialization() == 'incremental' %}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        cut_batched=batched,
        post_hook=([after_commit("{{ build_cut_batches() }}")] if batched else []) + ["{{ retire_cuts() }}"],
    ) }}
    {%- else %}
    {{ config(materialized=stateful_materialization()) }}
    {%- endif %}
{%- endmacro %}
