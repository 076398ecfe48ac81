{#- Layer schemas are named plainly (staging, intermediate, marts) so BI tools and analysts
    find `marts.mart_nps_daily`, not `main_marts.mart_nps_daily`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
