{#- The span the working calendar covers: from two days before the first contact to
    cx_business_calendar_days_ahead days after the data's as-of moment, so every measured
    instant and every SLA breach time within that horizon has a calendar; the clock's lookup
    tables reach three days further each way, so no time zone's local dates fall off them. -#}
with

as_of as (
    select * from {{ ref('int_contacts_data_as_of') }}
),

dates as (
    select
        {{ shift_date("cast(" ~ to_utc_wall('first_created_at') ~ " as date)", -2) }} as first_local_date,
        {{ shift_date("cast(" ~ to_utc_wall('as_of_at') ~ " as date)", var('cx_business_calendar_days_ahead')) }}
            as last_local_date
    from as_of
),

final as (
    select
        first_local_date,
        last_local_date,
        {{ shift_date('first_local_date', -3) }} as clock_first_date,
        {{ shift_date('last_local_date', 3) }} as clock_last_date
    from dates
)

select * from final
