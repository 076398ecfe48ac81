{#- On engines other than DuckDB the raw tables are the Parquet export of DuckDB's validated
    rows (`cx-warehouse export-raw`): each run points `raw.<entity>` at its folder under
    CX_RAW_PARQUET_DIR. DuckDB holds the raw schema itself, so there it does nothing. -#}
{% macro register_raw_parquet_sources() -%}
    {{ return(adapter.dispatch('register_raw_parquet_sources', 'cx_warehouse')()) }}
{%- endmacro %}

{% macro default__register_raw_parquet_sources() -%}
{%- endmacro %}

{% macro spark__register_raw_parquet_sources() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var('CX_RAW_PARQUET_DIR', '../data/raw_parquet') -%}
        {#- Rows that did not load (quarantined, waiting, excluded) stay in DuckDB, where the loader reports
            them: no model reads them, and they are not exported. -#}
        {%- set tables = graph.sources.values() | selectattr('source_name', 'equalto', 'raw')
                         | rejectattr('identifier', 'in', ['quarantine', 'waiting', 'excluded']) | list -%}
        {%- do run_query('create database if not exists ' ~ tables[0].schema) -%}
        {%- for table in tables -%}
            {%- set relation = table.schema ~ '.' ~ table.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query('create table ' ~ relation ~ " using parquet location '"
                             ~ raw_dir ~ '/' ~ table.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
