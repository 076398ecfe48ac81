{%- set key_columns = ['status_change_id'] %}
{{ newest_versions_by(key_columns) }}

with

source as (
    select * from {{ source('raw', 'contact_status_changes') }}
    {{ loaded_since_last_build(source('raw', 'contact_status_changes'), key_columns) }}
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
    {{ latest_version(key_columns | join(', ')) }}
)

select * from renamed
