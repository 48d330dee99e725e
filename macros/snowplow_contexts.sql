{#- The id of the web_page context (iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-*-*) in a
    self-describing contexts array held as JSON text: the page view id every event of a page view carries.
    NULL when the text is not valid JSON or has no web_page entity. -#}
{% macro web_page_id_from_contexts(contexts) -%}
    {{ return(adapter.dispatch('web_page_id_from_contexts', 'article_recs')(contexts)) }}
{%- endmacro %}

{% macro duckdb__web_page_id_from_contexts(contexts) -%}
    case
        when json_valid({{ contexts }})
            then list_filter(
                json_extract({{ contexts }}, '$.data[*]'),
                entity -> json_extract_string(entity, '$.schema')
                like 'iglu:com.snowplowanalytics.snowplow/web_page/%'
            )[1] ->> '$.data.id'
    end
{%- endmacro %}

{% macro postgres__web_page_id_from_contexts(contexts) -%}
    (
        select entity -> 'data' ->> 'id'
        from jsonb_array_elements(
            case when jsonb_typeof(({{ contexts }})::jsonb -> 'data') = 'array'
                then ({{ contexts }})::jsonb -> 'data' else '[]'::jsonb end
        ) as entity
        where entity ->> 'schema' like 'iglu:com.snowplowanalytics.snowplow/web_page/%'
        limit 1
    )
{%- endmacro %}

{#- True when JSON text parses (NULL counts as valid: the field is optional). -#}
{% macro is_valid_json(text) -%}
    {{ return(adapter.dispatch('is_valid_json', 'article_recs')(text)) }}
{%- endmacro %}
{% macro duckdb__is_valid_json(text) -%}
    coalesce(json_valid({{ text }}), true)
{%- endmacro %}
{#- `is json` exists from PostgreSQL 16. On 15 no expression can test JSON without raising, so the check is
    the shape (an object or an array); the Postgres events source is atomic, whose loader already quarantined
    JSON that does not parse (article-recs load-postgres), and whose contexts columns are NULL here anyway. -#}
{% macro postgres__is_valid_json(text) -%}
    {%- set version = run_query("select current_setting('server_version_num')::int").columns[0].values()[0]
        if execute else 160000 -%}
    {%- if version >= 160000 -%}
    coalesce(({{ text }}) is json, true)
    {%- else -%}
    coalesce(({{ text }}) ~ '^\s*(\{.*\}|\[.*\])\s*$', true)
    {%- endif -%}
{%- endmacro %}

{#- The yauaa deviceClass (Desktop, Phone, Tablet, Robot, ...) from derived_contexts, if present. -#}
{% macro yauaa_device_class(derived_contexts) -%}
    {{ return(adapter.dispatch('yauaa_device_class', 'article_recs')(derived_contexts)) }}
{%- endmacro %}
{% macro duckdb__yauaa_device_class(derived_contexts) -%}
    case
        when json_valid({{ derived_contexts }})
            then list_filter(
                json_extract({{ derived_contexts }}, '$.data[*]'),
                entity -> json_extract_string(entity, '$.schema') like 'iglu:nl.basjes/yauaa_context/%'
            )[1] ->> '$.data.deviceClass'
    end
{%- endmacro %}
{% macro postgres__yauaa_device_class(derived_contexts) -%}
    (
        select entity -> 'data' ->> 'deviceClass'
        from jsonb_array_elements(
            case when jsonb_typeof(({{ derived_contexts }})::jsonb -> 'data') = 'array'
                then ({{ derived_contexts }})::jsonb -> 'data' else '[]'::jsonb end
        ) as entity
        where entity ->> 'schema' like 'iglu:nl.basjes/yauaa_context/%'
        limit 1
    )
{%- endmacro %}
