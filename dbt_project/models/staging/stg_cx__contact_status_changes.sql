with

source as (
    select * from {{ source('raw', 'contact_status_changes') }}
),

renamed as (
    select
        status_change_id,
        contact_id,
        status,
        changed_at,
        agent_id,
        _loaded_at as loaded_at
    from source
    {{ latest_version('status_change_id') }}
)

select * from renamed
