{#- Incremental builds: a model rebuilds only the keys (or dates) its changes model lists.
    On an incremental run the pre-hook deletes every row of those keys and the model's SQL
    recomputes them, filtered with `is_changed`: a key whose rows vanish (a date left empty,
    a message that moved to another contact) loses its old rows too. On a full refresh, or
    when the table does not exist yet, both do nothing and the model builds from everything.
    DECISIONLOG.md ("Incremental builds") says which changes reach which keys. -#}

{% macro incremental_by(key, changes_model, changes_columns=none) -%}
    {{ return(adapter.dispatch('incremental_by', 'cx_warehouse')(key, changes_model, changes_columns)) }}
{%- endmacro %}

{% macro default__incremental_by(key, changes_model, changes_columns=none) -%}
    {#- The hook is a template, rendered when the model runs (is_incremental() is false at parse). -#}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_changed('" ~ key ~ "', ref('" ~ changes_model ~ "'), "
                 ~ (changes_columns or [key]) | tojson ~ ") }}",
    ) }}
{%- endmacro %}

{#- Spark's Parquet tables take no DELETE: on Spark every build is a full build. (A Delta or
    Iceberg catalog could use incremental_strategy='merge'; not done here.) -#}
{% macro spark__incremental_by(key, changes_model, changes_columns=none) -%}
    {{ config(materialized='table') }}
{%- endmacro %}

{% macro delete_changed(key, changes, changes_columns) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ is_changed(key, changes, changes_columns) }}
    {%- endif -%}
{%- endmacro %}

{#- A predicate: true for the rows this run recomputes. `changes_columns` may name several
    columns of the changes model (a contact's date before and after its change). -#}
{% macro is_changed(key, changes, changes_columns=none) -%}
    {%- if is_incremental() -%}
        {{ key }} in (
            {%- for column in (changes_columns or [key]) %}
            select {{ column }} from {{ changes }}{{ " union" if not loop.last }}
            {%- endfor %}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The relation a model had before this run, or none: the changes models read a fact's
    previous rows (its old dates, its open contacts) without a ref, which would be a cycle. -#}
{% macro previous_version_of(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                   | selectattr('name', 'equalto', model_name) | first -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{#- The reporting dates a backfill asked to rebuild (vars cx_rebuild_from / cx_rebuild_to). -#}
{% macro in_rebuild_range(date_column) -%}
    {%- if var('cx_rebuild_from') or var('cx_rebuild_to') -%}
        {{ date_column }} between
            cast('{{ var("cx_rebuild_from") or "0001-01-01" }}' as date)
            and cast('{{ var("cx_rebuild_to") or "9999-12-31" }}' as date)
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- The highest raw load id the last recorded build reflected (-1 before the first build):
    the changes models recompute what later loads touched. -#}
{% macro last_build_load_id() -%}
    {{ return(adapter.dispatch('last_build_load_id', 'cx_warehouse')()) }}
{%- endmacro %}

{% macro default__last_build_load_id() -%}
    (select coalesce(max(changes_through_load_id), -1) from {{ source('pipeline', '_dbt_builds') }})
{%- endmacro %}

{#- Spark builds are full builds (see spark__incremental_by) and record none: every load is new. -#}
{% macro spark__last_build_load_id() -%}
    cast(-1 as bigint)
{%- endmacro %}

{#- The large staging tables: the newest version of each key. Raw tables are append-only and a
    key never leaves them, so an incremental run reads only the keys that raw loads after the
    last recorded build carry (all their versions, old and new) and replaces those keys' rows
    (delete+insert on the key). Spark, as above, rebuilds them in full. -#}
{% macro newest_versions_by(key_columns) -%}
    {{ return(adapter.dispatch('newest_versions_by', 'cx_warehouse')(key_columns)) }}
{%- endmacro %}

{% macro default__newest_versions_by(key_columns) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=key_columns,
        on_schema_change='fail',
    ) }}
{%- endmacro %}

{% macro spark__newest_versions_by(key_columns) -%}
    {{ config(materialized='table') }}
{%- endmacro %}

{#- A where clause keeping the raw rows of keys loaded since the last recorded build, on an
    incremental run; nothing (every row) otherwise. -#}
{% macro loaded_since_last_build(relation, key_columns) -%}
    {%- if is_incremental() -%}
        {%- set key = key_columns | join(', ') -%}
    where ({{ key }}) in (
        select {{ key }} from {{ relation }}
        where _load_id > {{ last_build_load_id() }}
    )
    {%- endif -%}
{%- endmacro %}
