{#- Each schedule time zone's UTC offset as constant spans: the offset is read every 15 minutes
    of UTC over the calendar (every tz database transition since 1970 falls on a quarter hour),
    and runs of equal offsets become one span. The spans turn wall-clock intervals into UTC
    exactly, also on the hour a DST change skips or repeats. -#}
with

time_zones as (
    select distinct time_zone from {{ ref('int_business_hours_schedules') }}
),

bounds as (
    select * from {{ ref('int_business_hours_calendar_bounds') }}
),

grid as (
    {{ timestamp_grid(
        '(select cast(clock_first_date as timestamp) from bounds)',
        '(select cast(clock_last_date as timestamp) from bounds)',
        15) }}
),

readings as (
    select
        time_zones.time_zone,
        grid.grid_at as utc_at,
        {{ datediff_minutes(
            'grid.grid_at',
            to_local_wall(from_utc_wall('grid.grid_at'), 'time_zones.time_zone')) }} as utc_offset_minutes
    from time_zones
    cross join grid
),

changes as (
    select
        *,
        coalesce(
            utc_offset_minutes <> lag(utc_offset_minutes) over (partition by time_zone order by utc_at), true
        ) as starts_span
    from readings
),

numbered as (
    select
        *,
        sum(case when starts_span then 1 else 0 end) over (
            partition by time_zone order by utc_at rows between unbounded preceding and current row
        ) as span_number
    from changes
),

spans as (
    select
        time_zone,
        span_number,
        any_value(utc_offset_minutes) as utc_offset_minutes,
        min(utc_at) as span_start_utc
    from numbered
    group by time_zone, span_number
),

final as (
    select
        time_zone,
        utc_offset_minutes,
        span_start_utc,
        coalesce(
            lead(span_start_utc) over (partition by time_zone order by span_start_utc),
            (select cast(clock_last_date as timestamp) from bounds)
        ) as span_end_utc
    from spans
)

select * from final
