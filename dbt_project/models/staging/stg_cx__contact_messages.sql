with

source as (
    select * from {{ source('raw', 'contact_messages') }}
),

renamed as (
    select
        message_id,
        contact_id,
        author_role,
        author_id,
        is_public,
        sent_at,
        _loaded_at as loaded_at
    from source
    {{ latest_version('message_id') }}
)

select * from renamed
