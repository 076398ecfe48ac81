{#- What loyalty is worth: customers by their latest NPS answer (and segment), how many stayed
    after answering, their revenue and the revenue at risk from detractors. Every customer is
    in exactly one row, those never asked included, so the mart reconciles with dim_customers. -#}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where nps_score is not null
),

latest_answers as (
    select
        customer_id,
        nps_category,
        answered_date,
        row_number() over (partition by customer_id order by answered_at desc, response_id desc) as recency
    from responses
),

history as (
    select min(answered_date) as first_answered_date, max(answered_date) as last_answered_date from responses
),

classified as (
    select
        customers.customer_id,
        customers.customer_segment,
        coalesce(latest_answers.nps_category, 'not surveyed') as nps_category,
        latest_answers.answered_date,
        coalesce(customers.annual_revenue, 0) as annual_revenue,
        {#- Surveyed: churn after the latest answer. Never surveyed: churn from the first survey
            of the history on, so both are observed over comparable time. -#}
        coalesce(customers.churn_date > coalesce(latest_answers.answered_date, history.first_answered_date), false)
            as is_churned_after_survey,
        coalesce(customers.churn_date <= coalesce(latest_answers.answered_date, history.first_answered_date), false)
            as is_churned_before_survey,
        {{ datediff_days('latest_answers.answered_date', 'coalesce(customers.churn_date, history.last_answered_date)') }}
            as days_observed
    from customers
    cross join history
    left join latest_answers
        on customers.customer_id = latest_answers.customer_id
        and latest_answers.recency = 1
),

grouped as (
    select
        customer_segment,
        nps_category,
        count(*) as customers,
        cast(sum(case when is_churned_after_survey then 1 else 0 end) as bigint) as churned_customers,
        cast(sum(case when is_churned_before_survey then 1 else 0 end) as bigint) as churned_before_survey_customers,
        sum(annual_revenue) as annual_revenue,
        sum(case when is_churned_after_survey then annual_revenue else 0 end) as churned_annual_revenue,
        sum(case when not is_churned_after_survey and not is_churned_before_survey then annual_revenue else 0 end)
            as retained_annual_revenue,
        avg(case when days_observed >= 0 then days_observed end) as mean_days_observed
    from classified
    group by 1, 2
),

final as (
    select
        customer_segment,
        nps_category,
        customers,
        churned_customers,
        churned_before_survey_customers,
        customers - churned_customers - churned_before_survey_customers as retained_customers,
        annual_revenue,
        churned_annual_revenue,
        retained_annual_revenue,
        {{ safe_ratio('churned_customers', 'customers - churned_before_survey_customers', 100) }} as churn_rate_pct,
        {{ safe_ratio('customers - churned_customers - churned_before_survey_customers',
                      'customers - churned_before_survey_customers', 100) }} as retention_rate_pct,
        {{ safe_ratio('annual_revenue', 'customers') }} as annual_revenue_per_customer,
        {#- Revenue at risk: what the detractors who are still customers bring in a year. -#}
        case when nps_category = 'detractor' then retained_annual_revenue else 0 end as revenue_at_risk,
        {#- Expected loss: retained revenue x the category's observed churn rate. -#}
        retained_annual_revenue
            * coalesce(cast(churned_customers as double) / nullif(customers - churned_before_survey_customers, 0), 0)
            as expected_annual_revenue_loss,
        mean_days_observed
    from grouped
)

select * from final
