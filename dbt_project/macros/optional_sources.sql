{#- Vendor tables that exist only where a source system is configured (dlt lands them into a
    schema named after the vendor, e.g. `zendesk`). A model over them builds empty without them,
    so the project builds the same with or without the vendor. -#}

{#- The source's relation if it exists in the warehouse, else none. -#}
{% macro optional_source(source_name, table_name) -%}
    {{ return(adapter.dispatch('optional_source', 'cx_warehouse')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__optional_source(source_name, table_name) -%}
    {#- Called when parsing too, so dbt records the dependency. -#}
    {%- set declared = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=declared.database, schema=declared.schema, identifier=declared.identifier)) }}
{%- endmacro %}

{#- Spark reads the raw entities as Parquet only; vendor schemas stay in the DuckDB warehouse. -#}
{% macro spark__optional_source(source_name, table_name) -%}
    {{ return(none) }}
{%- endmacro %}

{#- The names of a relation's columns, lower-case (none for a missing relation): dlt adds a
    column only once a record has a value for it. -#}
{% macro column_names(relation) -%}
    {%- if relation is none -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) }}
{%- endmacro %}

{#- A number inside a JSON column (`{"calendar": 30, "business": 12}`), as a double. -#}
{% macro json_number(json_column, key) -%}
    {{ return(adapter.dispatch('json_number', 'cx_warehouse')(json_column, key)) }}
{%- endmacro %}

{% macro default__json_number(json_column, key) -%}
    try_cast(json_extract_string({{ json_column }}, '$.{{ key }}') as double)
{%- endmacro %}

{% macro spark__json_number(json_column, key) -%}
    cast(get_json_object({{ json_column }}, '$.{{ key }}') as double)
{%- endmacro %}

{#- The columns of an optional vendor table, cast to the given types ('text' is dbt's string
    type), or no rows of the same columns where the table does not exist (no vendor, Spark). -#}
{% macro optional_source_columns(source_name, table_name, columns) -%}
    {%- set relation = optional_source(source_name, table_name) -%}
    select
    {%- for name, type in columns.items() %}
        cast({{ name if relation is not none else 'null' }} as {{ dbt.type_string() if type == 'text' else type }})
            as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    {% if relation is not none -%}
    from {{ relation }}
    {%- else -%}
    where false
    {%- endif %}
{%- endmacro %}
