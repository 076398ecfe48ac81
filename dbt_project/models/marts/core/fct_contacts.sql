{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

contacts as (
    select * from {{ ref('stg_cx__contacts') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

lifecycle as (
    select * from {{ ref('int_contacts_lifecycle') }}
),

handling_times as (
    select * from {{ ref('int_contacts_handling_times') }}
),

repeats as (
    select * from {{ ref('int_contacts_repeat_contacts') }}
),

customers as (
    select * from {{ ref('stg_cx__customers') }}
),

channels as (
    select * from {{ ref('channels') }}
),

measured as (
    select
        contacts.contact_id,
        contacts.customer_id,
        coalesce(customers.customer_segment, 'unknown') as customer_segment,
        contacts.channel,
        contacts.queue,
        contacts.agent_id,
        contacts.contact_reason,
        contacts.contact_status,
        contacts.priority,
        contacts.direction,
        contacts.created_at,
        {{ reporting_date('contacts.created_at') }} as created_date,
        contacts.queue_entered_at,
        lifecycle.first_replied_at,
        lifecycle.first_resolved_at,
        lifecycle.resolved_at,
        contacts.closed_at,
        contacts.is_abandoned,
        lifecycle.reopen_count,
        lifecycle.has_message_history,
        lifecycle.has_status_history,
        contacts.talk_seconds,
        contacts.hold_seconds,
        contacts.after_contact_work_seconds,
        coalesce(channels.is_real_time, false) as is_real_time_channel,
        contacts.queue_entered_at is not null as entered_queue,
        contacts.is_abandoned
            and contacts.queue_entered_at is not null
            and {{ seconds_between('contacts.queue_entered_at', 'contacts.closed_at') }}
                < {{ var('cx_short_abandon_seconds') }} as is_short_abandon,
        not contacts.is_abandoned and lifecycle.first_replied_at is not null as is_handled,
        {{ seconds_between('contacts.queue_entered_at', 'lifecycle.first_replied_at') }} as queue_wait_seconds,
        handling_times.first_reply_time_calendar_minutes,
        handling_times.first_reply_time_business_minutes,
        handling_times.first_resolution_time_calendar_minutes,
        handling_times.first_resolution_time_business_minutes,
        handling_times.full_resolution_time_calendar_minutes,
        handling_times.full_resolution_time_business_minutes,
        handling_times.requester_wait_time_calendar_minutes,
        handling_times.requester_wait_time_business_minutes,
        handling_times.agent_wait_time_calendar_minutes,
        handling_times.agent_wait_time_business_minutes,
        handling_times.on_hold_time_calendar_minutes,
        handling_times.on_hold_time_business_minutes,
        lifecycle.agent_reply_count,
        lifecycle.bot_reply_count,
        lifecycle.internal_note_count,
        lifecycle.agent_count,
        greatest(lifecycle.agent_count - 1, 0) as handoff_count,
        coalesce(repeats.repeat_contacts_within_window, 0) as repeat_contacts_within_window
    from contacts
    inner join lifecycle
        on contacts.contact_id = lifecycle.contact_id
    inner join handling_times
        on contacts.contact_id = handling_times.contact_id
    left join repeats
        on contacts.contact_id = repeats.contact_id
    left join customers
        on contacts.customer_id = customers.customer_id
    left join channels
        on contacts.channel = channels.channel
),

final as (
    select
        *,
        entered_queue and direction = 'inbound' and not coalesce(is_short_abandon, false) as is_offered,
        case when is_handled then talk_seconds + hold_seconds + after_contact_work_seconds end as handle_seconds,
        coalesce(queue_wait_seconds <= {{ var('cx_service_level_seconds') }}, false)
            and is_handled as is_answered_within_service_level,
        resolved_at is not null as is_resolved,
        resolved_at is not null and agent_reply_count = 0 as is_zero_touch_resolution,
        resolved_at is not null and agent_reply_count = 1 as is_one_touch_resolution,
        resolved_at is not null and agent_reply_count = 2 as is_two_touch_resolution,
        resolved_at is not null and agent_reply_count > 2 as is_multi_touch_resolution,
        case
            when resolved_at is null or is_abandoned or direction = 'outbound' then null
            else reopen_count = 0 and repeat_contacts_within_window = 0
        end as is_first_contact_resolution
    from measured
)

select * from final
