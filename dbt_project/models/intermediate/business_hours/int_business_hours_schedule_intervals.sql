{#- Working intervals in UTC: the instants whose local wall clock falls inside a working wall
    interval. Within one offset span a wall interval maps to UTC by subtracting the offset; a
    wall interval crossing a DST change is cut at the change, so an hour the clock skips is not
    worked and an hour it repeats is worked twice, as the clock on the office wall says. -#}
with

wall_intervals as (
    select * from {{ ref('int_business_hours_wall_intervals') }}
),

offsets as (
    select * from {{ ref('int_business_hours_utc_offsets') }}
),

candidates as (
    select
        wall_intervals.schedule_id,
        wall_intervals.local_date,
        greatest(
            {{ add_minutes('wall_intervals.local_start_at', '-offsets.utc_offset_minutes') }},
            offsets.span_start_utc
        ) as start_utc,
        least(
            {{ add_minutes('wall_intervals.local_end_at', '-offsets.utc_offset_minutes') }},
            offsets.span_end_utc
        ) as end_utc
    from wall_intervals
    inner join offsets
        on wall_intervals.time_zone = offsets.time_zone
        and {{ add_minutes('wall_intervals.local_start_at', '-offsets.utc_offset_minutes') }} < offsets.span_end_utc
        and {{ add_minutes('wall_intervals.local_end_at', '-offsets.utc_offset_minutes') }} > offsets.span_start_utc
),

final as (
    select
        schedule_id,
        local_date,
        {{ from_utc_wall('start_utc') }} as start_at,
        {{ from_utc_wall('end_utc') }} as end_at,
        {{ wall_minutes_between('start_utc', 'end_utc') }} as working_minutes
    from candidates
    where end_utc > start_utc
)

select * from final
