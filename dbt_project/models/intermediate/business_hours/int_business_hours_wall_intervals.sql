{#- Working time as each schedule's own wall clock shows it: per schedule and local date, the
    intervals of its weekly hours minus that date's holiday closures. Overlapping hours merge
    and a closure may cut an interval anywhere, because the day is first cut at every boundary
    into elementary segments, each kept when some hours row covers it and no closure does. -#}
with

schedules as (
    select * from {{ ref('int_business_hours_schedules') }}
),

hours as (
    select
        schedule_id,
        weekday,
        {{ minute_of_day('start_time') }} as start_minute,
        {{ minute_of_day('end_time') }} as end_minute
    from {{ ref('int_business_hours_schedule_hours') }}
),

closures as (
    select
        schedule_id,
        holiday_date,
        coalesce({{ minute_of_day('closed_from') }}, 0) as closed_from_minute,
        coalesce({{ minute_of_day('closed_until') }}, 1440) as closed_until_minute
    from {{ ref('int_business_hours_holidays') }}
),

bounds as (
    select * from {{ ref('int_business_hours_calendar_bounds') }}
),

calendar_days as (
    {{ date_spine('(select first_local_date from bounds)', '(select last_local_date from bounds)') }}
),

day_hours as (
    select
        hours.schedule_id,
        calendar_days.date_day,
        hours.start_minute,
        hours.end_minute
    from hours
    inner join calendar_days
        on hours.weekday = {{ iso_weekday('calendar_days.date_day') }}
),

day_closures as (
    select closures.*
    from closures
    inner join calendar_days
        on closures.holiday_date = calendar_days.date_day
),

boundaries as (
    select schedule_id, date_day, start_minute as boundary_minute from day_hours
    union
    select schedule_id, date_day, end_minute from day_hours
    union
    select schedule_id, holiday_date, closed_from_minute from day_closures
    union
    select schedule_id, holiday_date, closed_until_minute from day_closures
),

elementary_segments as (
    select
        schedule_id,
        date_day,
        boundary_minute as start_minute,
        lead(boundary_minute) over (partition by schedule_id, date_day order by boundary_minute) as end_minute
    from boundaries
),

working_segments as (
    select distinct segments.schedule_id, segments.date_day, segments.start_minute, segments.end_minute
    from elementary_segments as segments
    inner join day_hours
        on segments.schedule_id = day_hours.schedule_id
        and segments.date_day = day_hours.date_day
        and day_hours.start_minute <= segments.start_minute
        and day_hours.end_minute >= segments.end_minute
    left join day_closures
        on segments.schedule_id = day_closures.schedule_id
        and segments.date_day = day_closures.holiday_date
        and day_closures.closed_from_minute <= segments.start_minute
        and day_closures.closed_until_minute >= segments.end_minute
    where segments.end_minute is not null
        and day_closures.schedule_id is null
),

final as (
    select
        working_segments.schedule_id,
        schedules.time_zone,
        working_segments.date_day as local_date,
        {{ add_minutes('cast(working_segments.date_day as timestamp)', 'working_segments.start_minute') }}
            as local_start_at,
        {{ add_minutes('cast(working_segments.date_day as timestamp)', 'working_segments.end_minute') }}
            as local_end_at
    from working_segments
    inner join schedules
        on working_segments.schedule_id = schedules.schedule_id
)

select * from final
