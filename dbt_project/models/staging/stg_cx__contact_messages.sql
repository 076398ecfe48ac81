{%- set key_columns = ['message_id'] %}
{{ newest_versions_by(key_columns) }}

with

source as (
    select * from {{ source('raw', 'contact_messages') }}
    {{ loaded_since_last_build(source('raw', 'contact_messages'), key_columns) }}
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
    {{ latest_version(key_columns | join(', ')) }}
)

select * from renamed
