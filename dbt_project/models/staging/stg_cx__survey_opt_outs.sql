with

source as (
    select * from {{ source('raw', 'survey_opt_outs') }}
),

renamed as (
    select
        customer_id,
        is_opted_out,
        changed_at as consent_changed_at,
        _loaded_at as loaded_at
    from source
    {{ latest_version('customer_id') }}
)

select * from renamed
