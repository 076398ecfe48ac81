{#- The lookup side of the business clock: each queue's timeline cut into pieces that cover
    time without gaps (a working interval and the closed time after it, plus the closed time
    before the first), each repeated on every UTC date it touches. An instant finds its piece
    by an equality join on queue and UTC date plus a range check, cheap on any engine. -#}
with

intervals as (
    select * from {{ ref('int_business_hours_queue_intervals') }}
),

bounds as (
    select * from {{ ref('int_business_hours_calendar_bounds') }}
),

calendar_days as (
    {{ date_spine(
        '(select clock_first_date from bounds)', '(select clock_last_date from bounds)') }}
),

calendar_edges as (
    select
        {{ from_utc_wall('cast(clock_first_date as timestamp)') }} as calendar_start_at,
        {{ from_utc_wall('cast(clock_last_date as timestamp)') }} as calendar_end_at
    from bounds
),

working_pieces as (
    select
        intervals.queue,
        intervals.start_at as piece_start_at,
        coalesce(intervals.next_start_at, calendar_edges.calendar_end_at) as piece_end_at,
        intervals.working_minutes,
        intervals.working_minutes_before
    from intervals
    cross join calendar_edges
),

leading_pieces as (
    select
        intervals.queue,
        calendar_edges.calendar_start_at as piece_start_at,
        min(intervals.start_at) as piece_end_at,
        0.0 as working_minutes,
        0.0 as working_minutes_before
    from intervals
    cross join calendar_edges
    group by intervals.queue, calendar_edges.calendar_start_at
),

pieces as (
    select * from working_pieces
    union all
    select * from leading_pieces
),

final as (
    select
        pieces.queue,
        calendar_days.date_day as utc_date,
        pieces.piece_start_at,
        pieces.piece_end_at,
        pieces.working_minutes,
        pieces.working_minutes_before
    from pieces
    inner join calendar_days
        on calendar_days.date_day >= cast({{ to_utc_wall('pieces.piece_start_at') }} as date)
        and calendar_days.date_day <= cast({{ to_utc_wall('pieces.piece_end_at') }} as date)
)

select * from final
