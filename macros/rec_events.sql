{#- JSON helpers for self-describing events (the recommendation widget's rec_impression / rec_click), and the
    Wilson score interval of a proportion. `keys` is a list of object keys from the root. -#}

{#- The text at keys (NULL when missing or not JSON). -#}
{% macro json_text_at(json, keys) -%}
    {{ return(adapter.dispatch('json_text_at', 'article_recs')(json, keys)) }}
{%- endmacro %}
{% macro duckdb__json_text_at(json, keys) -%}
    json_extract_string({{ json }}, '$.{{ keys | join(".") }}')
{%- endmacro %}
{% macro default__json_text_at(json, keys) -%}
    (cast({{ json }} as jsonb) #>> '{ {{- keys | join(",") -}} }')
{%- endmacro %}

{#- The length of the array at keys. -#}
{% macro json_array_length_at(json, keys) -%}
    {{ return(adapter.dispatch('json_array_length_at', 'article_recs')(json, keys)) }}
{%- endmacro %}
{% macro duckdb__json_array_length_at(json, keys) -%}
    cast(json_array_length({{ json }}, '$.{{ keys | join(".") }}') as integer)
{%- endmacro %}
{% macro default__json_array_length_at(json, keys) -%}
    jsonb_array_length(cast({{ json }} as jsonb) #> '{ {{- keys | join(",") -}} }')
{%- endmacro %}

{#- Element `index` (0-based, an SQL expression) of the array at keys, as text. -#}
{% macro json_array_text_at(json, keys, index) -%}
    {{ return(adapter.dispatch('json_array_text_at', 'article_recs')(json, keys, index)) }}
{%- endmacro %}
{% macro duckdb__json_array_text_at(json, keys, index) -%}
    json_extract_string({{ json }}, '$.{{ keys | join(".") }}[' || cast({{ index }} as varchar) || ']')
{%- endmacro %}
{% macro default__json_array_text_at(json, keys, index) -%}
    (cast({{ json }} as jsonb) #>> array['{{ keys | join("', '") }}', cast({{ index }} as text)])
{%- endmacro %}

{#- Bounds of the 95% Wilson score interval of successes / trials (NULL when trials = 0). -#}
{% macro wilson_bound(successes, trials, side) -%}
    {%- set z = 1.959963984540054 -%}
    case when {{ trials }} > 0 then (
        (1.0 * {{ successes }} / {{ trials }} + {{ z * z }} / (2.0 * {{ trials }}))
        {{ '-' if side == 'low' else '+' }} {{ z }} * sqrt(
            (1.0 * {{ successes }} / {{ trials }}) * (1 - 1.0 * {{ successes }} / {{ trials }}) / {{ trials }}
            + {{ z * z }} / (4.0 * {{ trials }} * {{ trials }})
        )
    ) / (1 + {{ z * z }} / {{ trials }}) end
{%- endmacro %}
