{#- Raw tables are append-only: a later file may carry a newer version of a key (a contact
    resolved days after it was created). Keep the newest version per key. -#}
{% macro latest_version(key) -%}
    {{ return(adapter.dispatch('latest_version', 'cx_warehouse')(key)) }}
{%- endmacro %}

{% macro default__latest_version(key) -%}
    qualify row_number() over (partition by {{ key }} order by _load_id desc, _source_row desc) = 1
{%- endmacro %}
