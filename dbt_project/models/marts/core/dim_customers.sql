with

customers as (
    select * from {{ ref('stg_cx__customers') }}
),

final as (
    {#- Personal data (name, e-mail) stays in staging: marts feed BI tools. -#}
    select
        customer_id,
        customer_segment,
        customer_region,
        customer_language,
        signup_date,
        annual_revenue,
        customer_status,
        churn_date,
        customer_status = 'churned' as is_churned
    from customers
)

select * from final
