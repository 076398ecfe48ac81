{#- Each queue's working time as one timeline in UTC: the intervals of the schedule assigned
    to the queue on each of that schedule's local dates (seed queue_schedules; the default
    schedule where a queue has no assignment), merged where they touch or overlap, with the
    working minutes before each interval. Any instant's position on the business clock is then
    one lookup, and business minutes between two instants are a difference of two positions. -#}
with

schedule_intervals as (
    select * from {{ ref('int_business_hours_schedule_intervals') }}
),

schedules as (
    select * from {{ ref('int_business_hours_schedules') }}
),

assignments as (
    select
        queue,
        schedule_id,
        {{ validity_range('valid_from', 'valid_until') }}
    from {{ ref('queue_schedules') }}
),

queues as (
    select distinct queue from {{ ref('stg_cx__contacts') }}
    union
    select distinct queue from assignments
),

assigned_intervals as (
    select assignments.queue, schedule_intervals.*
    from schedule_intervals
    inner join assignments
        on schedule_intervals.schedule_id = assignments.schedule_id
        and schedule_intervals.local_date >= assignments.valid_from
        and schedule_intervals.local_date < assignments.valid_until
),

default_intervals as (
    select queues.queue, schedule_intervals.*
    from schedule_intervals
    inner join schedules
        on schedule_intervals.schedule_id = schedules.schedule_id
        and schedules.is_default
    cross join queues
    left join assignments
        on assignments.queue = queues.queue
        and schedule_intervals.local_date >= assignments.valid_from
        and schedule_intervals.local_date < assignments.valid_until
    where assignments.queue is null
),

{#- A contact on a schedule of its own (contacts.schedule_id) reads that schedule's timeline, kept
    under the clock key business_clock_of gives it beside the queues'. -#}
own_schedule_clocks as (
    select distinct
        {{ business_clock_of('queue', 'schedule_id') }} as queue,
        schedule_id
    from {{ ref('stg_cx__contacts') }}
    where schedule_id is not null
),

own_schedule_intervals as (
    select own_schedule_clocks.queue, schedule_intervals.*
    from schedule_intervals
    inner join own_schedule_clocks
        on schedule_intervals.schedule_id = own_schedule_clocks.schedule_id
),

queue_intervals as (
    select queue, start_at, end_at from assigned_intervals
    union all
    select queue, start_at, end_at from default_intervals
    union all
    select queue, start_at, end_at from own_schedule_intervals
),

island_starts as (
    select
        *,
        coalesce(
            start_at > max(end_at) over (
                partition by queue order by start_at, end_at rows between unbounded preceding and 1 preceding
            ),
            true
        ) as starts_island
    from queue_intervals
),

island_numbers as (
    select
        *,
        sum(case when starts_island then 1 else 0 end) over (
            partition by queue order by start_at, end_at rows between unbounded preceding and current row
        ) as island_number
    from island_starts
),

islands as (
    select
        queue,
        island_number,
        min(start_at) as start_at,
        max(end_at) as end_at
    from island_numbers
    group by queue, island_number
),

measured as (
    select
        queue,
        start_at,
        end_at,
        {{ minutes_between('start_at', 'end_at') }} as working_minutes
    from islands
),

final as (
    select
        queue,
        start_at,
        end_at,
        working_minutes,
        coalesce(sum(working_minutes) over (
            partition by queue order by start_at rows between unbounded preceding and 1 preceding
        ), 0) as working_minutes_before,
        lead(start_at) over (partition by queue order by start_at) as next_start_at
    from measured
)

select * from final
