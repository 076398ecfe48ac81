{#- Each scorecard measure per calendar month, in long form, from the additive parts of the
    daily marts (so the scorecard agrees with them) and, for churn, from the customers. -#}
with

nps_daily as (
    select * from {{ ref('mart_nps_daily') }}
),

csat_daily as (
    select * from {{ ref('mart_csat_daily') }}
),

ces_daily as (
    select * from {{ ref('mart_ces_daily') }}
),

contact_center_daily as (
    select * from {{ ref('mart_contact_center_daily') }}
),

channels as (
    select * from {{ ref('dim_channels') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

nps_monthly as (
    select
        cast(date_trunc('month', date_day) as date) as month_start_date,
        'nps' as measure,
        sum(promoters) - sum(detractors) as numerator,
        sum(responses) as denominator,
        100.0 as scale
    from nps_daily
    group by 1
),

csat_monthly as (
    select
        cast(date_trunc('month', date_day) as date) as month_start_date,
        'csat_pct' as measure,
        sum(satisfied_responses) as numerator,
        sum(responses) as denominator,
        100.0 as scale
    from csat_daily
    group by 1
),

ces_monthly as (
    select
        cast(date_trunc('month', date_day) as date) as month_start_date,
        'ces_mean' as measure,
        sum(ces_score_sum) as numerator,
        sum(responses) as denominator,
        1.0 as scale
    from ces_daily
    group by 1
),

contact_center_monthly as (
    select
        cast(date_trunc('month', contact_center_daily.date_day) as date) as month_start_date,
        sum(contact_center_daily.first_contact_resolutions) as first_contact_resolutions,
        sum(contact_center_daily.fcr_eligible_contacts) as fcr_eligible_contacts,
        sum(contact_center_daily.contacts_abandoned) as contacts_abandoned,
        sum(contact_center_daily.contacts_offered) as contacts_offered,
        sum(case when channels.is_real_time then contact_center_daily.contacts_answered_within_service_level else 0 end)
            as real_time_answered_within_service_level,
        sum(case when channels.is_real_time then contact_center_daily.contacts_offered else 0 end)
            as real_time_contacts_offered
    from contact_center_daily
    left join channels
        on contact_center_daily.channel = channels.channel
    group by 1
),

contact_center_measures as (
    select month_start_date, 'fcr_rate_pct' as measure,
        first_contact_resolutions as numerator, fcr_eligible_contacts as denominator, 100.0 as scale
    from contact_center_monthly
    union all
    select month_start_date, 'abandonment_rate_pct',
        contacts_abandoned, contacts_offered, 100.0
    from contact_center_monthly
    union all
    select month_start_date, 'service_level_pct',
        real_time_answered_within_service_level, real_time_contacts_offered, 100.0
    from contact_center_monthly
),

months as (
    select distinct month_start_date from nps_monthly
    union
    select distinct month_start_date from contact_center_monthly
),

churn_monthly as (
    {#- Customers at the start of the month, and how many of them left during it. -#}
    select
        months.month_start_date,
        'annualized_churn_rate_pct' as measure,
        cast(sum(case
            when customers.churn_date >= months.month_start_date
                and customers.churn_date < {{ add_months('months.month_start_date', 1) }} then 1 else 0
        end) as bigint) as numerator,
        count(customers.customer_id) as denominator,
        100.0 as scale
    from months
    left join customers
        on customers.signup_date < months.month_start_date
        and (customers.churn_date is null or customers.churn_date >= months.month_start_date)
    group by 1, 2
),

ratios as (
    select * from nps_monthly
    union all
    select * from csat_monthly
    union all
    select * from ces_monthly
    union all
    select * from contact_center_measures
),

final as (
    select
        month_start_date,
        measure,
        cast(numerator as double) as numerator,
        cast(denominator as bigint) as denominator,
        {{ safe_ratio('numerator', 'denominator', 'scale') }} as actual_value
    from ratios
    union all
    select
        month_start_date,
        measure,
        cast(numerator as double) as numerator,
        cast(denominator as bigint) as denominator,
        {#- Monthly churn compounded over a year: 1 - (1 - monthly)^12. -#}
        case
            when denominator > 0 then 100.0 * (1 - power(1 - cast(numerator as double) / denominator, 12))
        end as actual_value
    from churn_monthly
)

select * from final
