{#- The inverse side of the business clock: each queue's working intervals repeated in every
    bucket of 1,440 working minutes they span, so "the instant at which a contact has used N
    business minutes" (an SLA's breach time) is an equality join plus a range check. -#}
with

intervals as (
    select * from {{ ref('int_business_hours_queue_intervals') }}
),

bounds as (
    select * from {{ ref('int_business_hours_calendar_bounds') }}
),

buckets as (
    select {{ datediff_days('(select clock_first_date from bounds)', 'date_day') }} as minute_bucket
    from ({{ date_spine('(select clock_first_date from bounds)', '(select clock_last_date from bounds)') }}) as days
),

final as (
    select
        intervals.queue,
        buckets.minute_bucket,
        intervals.start_at,
        intervals.working_minutes,
        intervals.working_minutes_before
    from intervals
    inner join buckets
        on buckets.minute_bucket >= floor(intervals.working_minutes_before / 1440)
        and buckets.minute_bucket <= floor((intervals.working_minutes_before + intervals.working_minutes) / 1440)
)

select * from final
