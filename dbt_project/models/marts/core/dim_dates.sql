with

contacts as (
    select * from {{ ref('stg_cx__contacts') }}
),

responses as (
    select * from {{ ref('stg_cx__survey_responses') }}
),

event_dates as (
    select {{ reporting_date('created_at') }} as event_date from contacts
    union all
    select {{ reporting_date('answered_at') }} as event_date from responses
),

bounds as (
    select
        coalesce(min(event_date), current_date) as first_date,
        coalesce(max(event_date), current_date) as last_date
    from event_dates
),

spine as (
    {{ date_spine('(select first_date from bounds)', '(select last_date from bounds)') }}
),

final as (
    select
        date_day,
        extract(year from date_day) as year_number,
        extract(quarter from date_day) as quarter_number,
        extract(month from date_day) as month_number,
        {{ iso_weekday('date_day') }} as iso_day_of_week,
        cast(date_trunc('week', date_day) as date) as week_start_date,
        cast(date_trunc('month', date_day) as date) as month_start_date,
        cast(date_trunc('quarter', date_day) as date) as quarter_start_date,
        {{ iso_weekday('date_day') }} in (6, 7) as is_weekend
    from spine
)

select * from final
