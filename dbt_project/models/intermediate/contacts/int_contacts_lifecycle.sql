{#- One row per contact with its lifecycle taken from its events where it has them and from its
    own timestamps where it has none: first reply from the message history, resolutions and
    reopens from the status history. A contact whose history shows no agent reply has no first
    reply, whatever its own first_replied_at says: the events are the fuller record. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

contacts as (
    select * from {{ ref('stg_cx__contacts') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

message_metrics as (
    select * from {{ ref('int_contacts_message_metrics') }}
),

status_metrics as (
    select * from {{ ref('int_contacts_status_metrics') }}
),

final as (
    select
        contacts.contact_id,
        contacts.customer_id,
        contacts.channel,
        contacts.queue,
        contacts.schedule_id,
        {{ business_clock_of('contacts.queue', 'contacts.schedule_id') }} as business_clock,
        contacts.priority,
        contacts.direction,
        contacts.agent_id,
        contacts.contact_reason,
        contacts.created_at,
        contacts.queue_entered_at,
        contacts.closed_at,
        contacts.is_abandoned,
        message_metrics.contact_id is not null as has_message_history,
        status_metrics.contact_id is not null as has_status_history,
        case
            when message_metrics.contact_id is not null then message_metrics.first_agent_reply_at
            else contacts.first_replied_at
        end as first_replied_at,
        case
            when status_metrics.contact_id is not null then status_metrics.first_solved_at
            else contacts.first_resolved_at
        end as first_resolved_at,
        case
            when status_metrics.contact_id is not null then status_metrics.final_solved_at
            else contacts.resolved_at
        end as resolved_at,
        case
            when status_metrics.contact_id is not null then status_metrics.reopen_count
            else contacts.reopen_count
        end as reopen_count,
        case
            when message_metrics.contact_id is not null then message_metrics.agent_reply_count
            when contacts.first_replied_at is not null and not contacts.is_abandoned then 1
            else 0
        end as agent_reply_count,
        case
            when message_metrics.contact_id is not null then message_metrics.replying_agent_count
            when contacts.first_replied_at is not null and not contacts.is_abandoned and contacts.agent_id is not null
                then 1 + contacts.transfer_count
            else 0
        end as agent_count,
        coalesce(message_metrics.bot_reply_count, 0) as bot_reply_count,
        coalesce(message_metrics.internal_note_count, 0) as internal_note_count,
        status_metrics.requester_wait_time_calendar_minutes,
        status_metrics.requester_wait_time_business_minutes,
        status_metrics.agent_wait_time_calendar_minutes,
        status_metrics.agent_wait_time_business_minutes,
        status_metrics.on_hold_time_calendar_minutes,
        status_metrics.on_hold_time_business_minutes
    from contacts
    left join message_metrics
        on contacts.contact_id = message_metrics.contact_id
    left join status_metrics
        on contacts.contact_id = status_metrics.contact_id
)

select * from final
