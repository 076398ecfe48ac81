with

dates as (
    select * from {{ ref('dim_dates') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

event_bounds as (
    select
        min(date_day) as first_date,
        max(date_day) as last_date
    from dates
    union all
    select
        min(signup_date) as first_date,
        max(coalesce(churn_date, signup_date)) as last_date
    from customers
),

bounds as (
    {#- Whole years, from the earliest event or signup to the end of the year after the latest
        event or today, so MetricFlow's time-spine joins (offsets, cumulative metrics) never
        run off the end. #}
    select
        cast(date_trunc('year', coalesce(min(first_date), current_date)) as date) as first_date,
        cast(
            date_trunc('year', greatest(coalesce(max(last_date), current_date), current_date))
            + interval 2 year - interval 1 day
            as date
        ) as last_date
    from event_bounds
),

spine as (
    {{ date_spine('(select first_date from bounds)', '(select last_date from bounds)') }}
),

final as (
    select date_day from spine
)

select * from final
