{#- Every schedule's holiday closures in the seed's shape: the seed's rows, and one whole-day row
    per local date of each Zendesk holiday (start_date to end_date, both included) within the
    working calendar's dates. -#}
with

seeded as (
    select * from {{ ref('business_holidays') }}
),

zendesk_holidays as (
    select * from {{ ref('stg_zendesk__schedule_holidays') }}
),

bounds as (
    select * from {{ ref('int_business_hours_calendar_bounds') }}
),

calendar_days as (
    {{ date_spine('(select first_local_date from bounds)', '(select last_local_date from bounds)') }}
),

zendesk_days as (
    select
        zendesk_holidays.schedule_id,
        calendar_days.date_day as holiday_date,
        zendesk_holidays.holiday_name
    from zendesk_holidays
    inner join calendar_days
        on calendar_days.date_day >= zendesk_holidays.start_date
        and calendar_days.date_day <= zendesk_holidays.end_date
),

final as (
    select schedule_id, holiday_date, closed_from, closed_until, holiday_name from seeded
    union all
    select
        schedule_id,
        holiday_date,
        cast(null as {{ dbt.type_string() }}) as closed_from,
        cast(null as {{ dbt.type_string() }}) as closed_until,
        holiday_name
    from zendesk_days
)

select * from final
