{#- Minutes after midnight (0 to 1440) as the seeds' 'HH:MM' text ('24:00' for midnight at the day's end),
    so vendor schedules read like business_schedule_hours. -#}
{% macro minutes_as_clock_time(minute_column) -%}
    lpad(cast(cast(floor({{ minute_column }} / 60) as integer) as {{ dbt.type_string() }}), 2, '0')
        || ':' || lpad(cast(cast({{ minute_column }} - floor({{ minute_column }} / 60) * 60 as integer)
            as {{ dbt.type_string() }}), 2, '0')
{%- endmacro %}
