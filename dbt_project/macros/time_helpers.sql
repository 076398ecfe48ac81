{#- Engine-specific date and time arithmetic lives here, behind dispatch, so models stay portable. -#}

{#- The calendar date of a timestamptz in the reporting time zone (var cx_reporting_timezone). -#}
{% macro reporting_date(timestamp_column) -%}
    {{ return(adapter.dispatch('reporting_date', 'cx_warehouse')(timestamp_column)) }}
{%- endmacro %}

{% macro default__reporting_date(timestamp_column) -%}
    cast(timezone('{{ var("cx_reporting_timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}

{#- Elapsed seconds between two timestamptz values: absolute instants, so DST changes cost nothing. -#}
{% macro seconds_between(start_column, end_column) -%}
    {{ return(adapter.dispatch('seconds_between', 'cx_warehouse')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__seconds_between(start_column, end_column) -%}
    (epoch({{ end_column }}) - epoch({{ start_column }}))
{%- endmacro %}

{% macro minutes_between(start_column, end_column) -%}
    ({{ seconds_between(start_column, end_column) }} / 60.0)
{%- endmacro %}

{#- A timestamp shifted by a number of days (calendar days of 24 h). -#}
{% macro add_days(timestamp_column, days) -%}
    {{ return(adapter.dispatch('add_days', 'cx_warehouse')(timestamp_column, days)) }}
{%- endmacro %}

{% macro default__add_days(timestamp_column, days) -%}
    ({{ timestamp_column }} + to_days({{ days }}))
{%- endmacro %}

{#- One row per day from start_date to end_date inclusive, as column date_day. -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'cx_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    select cast(day as date) as date_day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day) as spine(day)
{%- endmacro %}

{#- A date shifted by whole calendar months. -#}
{% macro add_months(date_column, months) -%}
    {{ return(adapter.dispatch('add_months', 'cx_warehouse')(date_column, months)) }}
{%- endmacro %}

{% macro default__add_months(date_column, months) -%}
    cast({{ date_column }} + to_months({{ months }}) as date)
{%- endmacro %}

{#- Whole days from one date to a later one (negative if earlier). -#}
{% macro datediff_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('datediff_days', 'cx_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__datediff_days(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}
