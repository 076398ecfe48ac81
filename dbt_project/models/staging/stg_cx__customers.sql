with

source as (
    select * from {{ source('raw', 'customers') }}
),

renamed as (
    select
        customer_id,
        full_name,
        email,
        segment as customer_segment,
        region as customer_region,
        language as customer_language,
        signup_date,
        annual_revenue,
        status as customer_status,
        churn_date,
        _loaded_at as loaded_at
    from source
    {{ latest_version('customer_id') }}
)

select * from renamed
