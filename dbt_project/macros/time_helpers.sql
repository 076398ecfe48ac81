{#- Engine-specific date and time arithmetic lives here, behind dispatch, so models stay portable. -#}

{#- The calendar date of a timestamptz in the reporting time zone (var cx_reporting_timezone). -#}
{% macro reporting_date(timestamp_column) -%}
    {{ return(adapter.dispatch('reporting_date', 'cx_warehouse')(timestamp_column)) }}
{%- endmacro %}

{% macro default__reporting_date(timestamp_column) -%}
    cast(timezone('{{ var("cx_reporting_timezone") }}', {{ timestamp_column }}) as date)
{%- endmacro %}

{% macro spark__reporting_date(timestamp_column) -%}
    to_date(from_utc_timestamp({{ timestamp_column }}, '{{ var("cx_reporting_timezone") }}'))
{%- endmacro %}

{#- Elapsed seconds between two timestamptz values: absolute instants, so DST changes cost nothing. -#}
{% macro seconds_between(start_column, end_column) -%}
    {{ return(adapter.dispatch('seconds_between', 'cx_warehouse')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__seconds_between(start_column, end_column) -%}
    (epoch({{ end_column }}) - epoch({{ start_column }}))
{%- endmacro %}

{% macro spark__seconds_between(start_column, end_column) -%}
    (cast(unix_micros({{ end_column }}) - unix_micros({{ start_column }}) as double) / 1000000)
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

{% macro spark__add_days(timestamp_column, days) -%}
    timestampadd(day, {{ days }}, {{ timestamp_column }})
{%- endmacro %}

{#- One row per day from start_date to end_date inclusive, as column date_day. -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'cx_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    select cast(day as date) as date_day
    from generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day) as spine(day)
{%- endmacro %}

{% macro spark__date_spine(start_date, end_date) -%}
    select spine.date_day
    from (select explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)) as date_day) as spine
{%- endmacro %}

{#- A date shifted by whole calendar months. -#}
{% macro add_months(date_column, months) -%}
    {{ return(adapter.dispatch('add_months', 'cx_warehouse')(date_column, months)) }}
{%- endmacro %}

{% macro default__add_months(date_column, months) -%}
    cast({{ date_column }} + to_months({{ months }}) as date)
{%- endmacro %}

{% macro spark__add_months(date_column, months) -%}
    add_months({{ date_column }}, {{ months }})
{%- endmacro %}

{#- Whole days from one date to a later one (negative if earlier). -#}
{% macro datediff_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('datediff_days', 'cx_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__datediff_days(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{% macro spark__datediff_days(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}

{#- The naive UTC wall clock of a timestamptz, and back: business-hours arithmetic runs on naive
    UTC values so that no session time zone can shift it. -#}
{% macro to_utc_wall(timestamp_column) -%}
    {{ return(adapter.dispatch('to_utc_wall', 'cx_warehouse')(timestamp_column)) }}
{%- endmacro %}

{% macro default__to_utc_wall(timestamp_column) -%}
    timezone('UTC', {{ timestamp_column }})
{%- endmacro %}

{% macro spark__to_utc_wall(timestamp_column) -%}
    {#- The profile pins the session time zone to UTC: a cast is the UTC wall clock. -#}
    cast({{ timestamp_column }} as timestamp_ntz)
{%- endmacro %}

{% macro from_utc_wall(timestamp_column) -%}
    {{ return(adapter.dispatch('from_utc_wall', 'cx_warehouse')(timestamp_column)) }}
{%- endmacro %}

{% macro default__from_utc_wall(timestamp_column) -%}
    timezone('UTC', {{ timestamp_column }})
{%- endmacro %}

{% macro spark__from_utc_wall(timestamp_column) -%}
    cast({{ timestamp_column }} as timestamp)
{%- endmacro %}

{#- The local wall clock (naive) of a timestamptz in an IANA time zone given by a column or literal. -#}
{% macro to_local_wall(timestamp_column, time_zone) -%}
    {{ return(adapter.dispatch('to_local_wall', 'cx_warehouse')(timestamp_column, time_zone)) }}
{%- endmacro %}

{% macro default__to_local_wall(timestamp_column, time_zone) -%}
    timezone({{ time_zone }}, {{ timestamp_column }})
{%- endmacro %}

{% macro spark__to_local_wall(timestamp_column, time_zone) -%}
    cast(from_utc_timestamp({{ timestamp_column }}, {{ time_zone }}) as timestamp_ntz)
{%- endmacro %}

{#- A timestamp (naive or timestamptz) moved by a possibly fractional number of minutes. -#}
{% macro add_minutes(timestamp_column, minutes) -%}
    {{ return(adapter.dispatch('add_minutes', 'cx_warehouse')(timestamp_column, minutes)) }}
{%- endmacro %}

{% macro default__add_minutes(timestamp_column, minutes) -%}
    ({{ timestamp_column }} + to_microseconds(cast(round(cast({{ minutes }} as double) * 60000000) as bigint)))
{%- endmacro %}

{% macro spark__add_minutes(timestamp_column, minutes) -%}
    timestampadd(microsecond, cast(round(cast({{ minutes }} as double) * 60000000) as bigint), {{ timestamp_column }})
{%- endmacro %}

{#- Minutes from one naive timestamp to another, as a double. -#}
{% macro wall_minutes_between(start_column, end_column) -%}
    {{ return(adapter.dispatch('wall_minutes_between', 'cx_warehouse')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__wall_minutes_between(start_column, end_column) -%}
    (date_diff('microsecond', {{ start_column }}, {{ end_column }}) / 60000000.0)
{%- endmacro %}

{% macro spark__wall_minutes_between(start_column, end_column) -%}
    (cast(timestampdiff(microsecond, {{ start_column }}, {{ end_column }}) as double) / 60000000)
{%- endmacro %}

{#- One row per step_minutes from start to end inclusive (naive timestamps), as column grid_at. -#}
{% macro timestamp_grid(start_timestamp, end_timestamp, step_minutes) -%}
    {{ return(adapter.dispatch('timestamp_grid', 'cx_warehouse')(start_timestamp, end_timestamp, step_minutes)) }}
{%- endmacro %}

{% macro default__timestamp_grid(start_timestamp, end_timestamp, step_minutes) -%}
    select grid.grid_at
    from generate_series(
        cast({{ start_timestamp }} as timestamp), cast({{ end_timestamp }} as timestamp),
        interval {{ step_minutes }} minute
    ) as grid(grid_at)
{%- endmacro %}

{% macro spark__timestamp_grid(start_timestamp, end_timestamp, step_minutes) -%}
    select grid.grid_at
    from (
        select explode(sequence(
            cast({{ start_timestamp }} as timestamp_ntz), cast({{ end_timestamp }} as timestamp_ntz),
            interval {{ step_minutes }} minute
        )) as grid_at
    ) as grid
{%- endmacro %}

{#- ISO weekday of a date: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(date_column) -%}
    {{ return(adapter.dispatch('iso_weekday', 'cx_warehouse')(date_column)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_column) -%}
    isodow({{ date_column }})
{%- endmacro %}

{% macro spark__iso_weekday(date_column) -%}
    (weekday({{ date_column }}) + 1)
{%- endmacro %}

{#- 'HH:MM' (00:00 to 24:00) as minutes after midnight; anything else is null. -#}
{% macro minute_of_day(hhmm_column) -%}
    {{ return(adapter.dispatch('minute_of_day', 'cx_warehouse')(hhmm_column)) }}
{%- endmacro %}

{% macro default__minute_of_day(hhmm_column) -%}
    case
        when regexp_matches({{ hhmm_column }}, '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$')
            then cast(substr({{ hhmm_column }}, 1, 2) as integer) * 60 + cast(substr({{ hhmm_column }}, 4, 2) as integer)
    end
{%- endmacro %}

{% macro spark__minute_of_day(hhmm_column) -%}
    case
        when {{ hhmm_column }} rlike '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$'
            then cast(substr({{ hhmm_column }}, 1, 2) as integer) * 60 + cast(substr({{ hhmm_column }}, 4, 2) as integer)
    end
{%- endmacro %}

{#- Whole minutes from one naive timestamp to another. -#}
{% macro datediff_minutes(start_column, end_column) -%}
    {{ return(adapter.dispatch('datediff_minutes', 'cx_warehouse')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__datediff_minutes(start_column, end_column) -%}
    date_diff('minute', {{ start_column }}, {{ end_column }})
{%- endmacro %}

{% macro spark__datediff_minutes(start_column, end_column) -%}
    {#- As DuckDB's date_diff: minute boundaries crossed, not whole minutes elapsed. -#}
    timestampdiff(minute, date_trunc('minute', {{ start_column }}), date_trunc('minute', {{ end_column }}))
{%- endmacro %}

{#- A config row's validity as a closed-open date range: an empty start means since always, an
    empty end until further notice (seeds queue_schedules, sla_policies). -#}
{% macro validity_range(valid_from_column, valid_until_column) -%}
    coalesce({{ valid_from_column }}, cast('0001-01-01' as date)) as valid_from,
    coalesce({{ valid_until_column }}, cast('9999-12-31' as date)) as valid_until
{%- endmacro %}

{#- A date moved by whole days. -#}
{% macro shift_date(date_column, days) -%}
    {{ return(adapter.dispatch('shift_date', 'cx_warehouse')(date_column, days)) }}
{%- endmacro %}

{% macro default__shift_date(date_column, days) -%}
    cast(({{ date_column }}) + ({{ days }}) as date)
{%- endmacro %}

{% macro spark__shift_date(date_column, days) -%}
    date_add({{ date_column }}, {{ days }})
{%- endmacro %}
