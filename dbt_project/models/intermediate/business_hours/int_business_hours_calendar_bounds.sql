{#- The span the working calendar covers: from two days before the first contact to
    cx_business_calendar_days_ahead days after the data's as-of moment, so every measured
    instant and every SLA breach time within that horizon has a calendar. -#}
with

as_of as (
    select * from {{ ref('int_contacts_data_as_of') }}
),

final as (
    select
        cast({{ to_utc_wall('first_created_at') }} as date) - 2 as first_local_date,
        cast({{ to_utc_wall('as_of_at') }} as date) + {{ var('cx_business_calendar_days_ahead') }} as last_local_date
    from as_of
)

select * from final
