{%- set key_columns = ['contact_id'] %}
{{ newest_versions_by(key_columns) }}

with

source as (
    select * from {{ source('raw', 'contacts') }}
    {{ loaded_since_last_build(source('raw', 'contacts'), key_columns) }}
),

renamed as (
    select
        contact_id,
        customer_id,
        channel,
        queue,
        agent_id,
        contact_reason,
        created_at,
        queue_entered_at,
        first_replied_at,
        coalesce(first_resolved_at, resolved_at) as first_resolved_at,
        resolved_at,
        closed_at,
        coalesce(talk_seconds, 0) as talk_seconds,
        coalesce(hold_seconds, 0) as hold_seconds,
        coalesce(after_contact_work_seconds, 0) as after_contact_work_seconds,
        is_abandoned,
        status as contact_status,
        coalesce(reopen_count, 0) as reopen_count,
        coalesce(priority, 'normal') as priority,
        coalesce(direction, 'inbound') as direction,
        coalesce(transfer_count, 0) as transfer_count,
        schedule_id,
        _loaded_at as loaded_at
    from source
    {{ latest_version(key_columns | join(', ')) }}
)

select * from renamed
