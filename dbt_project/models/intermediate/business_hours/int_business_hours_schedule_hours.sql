{#- Every schedule's weekly hours in the seed's shape (ISO weekday, 'HH:MM' local times): the
    seed's rows and Zendesk's intervals. Zendesk counts minutes from Sunday 00:00 (Sunday is day
    0 there, 7 in ISO); an interval is cut at each midnight it crosses (the reference once allowed
    Monday 9:00 to Tuesday 17:00), and one ending at midnight ends at '24:00' of its day. -#}
with

seeded as (
    select * from {{ ref('business_schedule_hours') }}
),

zendesk_intervals as (
    select * from {{ ref('stg_zendesk__schedule_intervals') }}
),

week_days as (
    {%- for day in range(7) %}
    select {{ day }} as sunday_first_day{{ ' union all' if not loop.last }}
    {%- endfor %}
),

zendesk_day_parts as (
    select
        zendesk_intervals.schedule_id,
        case when week_days.sunday_first_day = 0 then 7 else week_days.sunday_first_day end as weekday,
        greatest(zendesk_intervals.week_start_minute, week_days.sunday_first_day * 1440)
            - week_days.sunday_first_day * 1440 as start_minute,
        least(zendesk_intervals.week_end_minute, (week_days.sunday_first_day + 1) * 1440)
            - week_days.sunday_first_day * 1440 as end_minute
    from zendesk_intervals
    inner join week_days
        on zendesk_intervals.week_start_minute < (week_days.sunday_first_day + 1) * 1440
        and zendesk_intervals.week_end_minute > week_days.sunday_first_day * 1440
),

final as (
    select schedule_id, weekday, start_time, end_time from seeded
    union all
    select
        schedule_id,
        weekday,
        {{ minutes_as_clock_time('start_minute') }} as start_time,
        {{ minutes_as_clock_time('end_minute') }} as end_time
    from zendesk_day_parts
)

select * from final
