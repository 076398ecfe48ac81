{#- Per contact, each duration in calendar minutes (absolute instants) and in business minutes
    (the working time of the contact's queue between the same instants: its schedule, time zone,
    holidays and DST changes; see int_business_hours_queue_intervals). Without a status history
    the customer is taken to wait from creation to resolution (or closing, or the as-of moment
    while open): pending time cannot be told apart, so agent wait is unknown; time on hold is then
    the call's hold seconds, which no record places on the clock (no business variant). -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

lifecycle as (
    select * from {{ ref('int_contacts_lifecycle') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

contacts as (
    select contact_id, hold_seconds from {{ ref('stg_cx__contacts') }}
),

as_of as (
    select * from {{ ref('int_contacts_data_as_of') }}
),

spans as (
    select
        lifecycle.*,
        contacts.hold_seconds,
        coalesce(lifecycle.resolved_at, lifecycle.closed_at, greatest(as_of.as_of_at, lifecycle.created_at))
            as wait_ended_at
    from lifecycle
    inner join contacts
        on lifecycle.contact_id = contacts.contact_id
    cross join as_of
),

clocked as (
    select
        spans.contact_id,
        {{ minutes_between('spans.created_at', 'spans.first_replied_at') }} as first_reply_time_calendar_minutes,
        {{ business_minutes_between('created', 'spans.created_at', 'first_reply', 'spans.first_replied_at') }}
            as first_reply_time_business_minutes,
        {{ minutes_between('spans.created_at', 'spans.first_resolved_at') }} as first_resolution_time_calendar_minutes,
        {{ business_minutes_between('created', 'spans.created_at', 'first_resolution', 'spans.first_resolved_at') }}
            as first_resolution_time_business_minutes,
        {{ minutes_between('spans.created_at', 'spans.resolved_at') }} as full_resolution_time_calendar_minutes,
        {{ business_minutes_between('created', 'spans.created_at', 'full_resolution', 'spans.resolved_at') }}
            as full_resolution_time_business_minutes,
        case
            when spans.has_status_history then spans.requester_wait_time_calendar_minutes
            else {{ minutes_between('spans.created_at', 'spans.wait_ended_at') }}
        end as requester_wait_time_calendar_minutes,
        case
            when spans.has_status_history then spans.requester_wait_time_business_minutes
            else {{ business_minutes_between('created', 'spans.created_at', 'wait_ended', 'spans.wait_ended_at') }}
        end as requester_wait_time_business_minutes,
        spans.agent_wait_time_calendar_minutes,
        spans.agent_wait_time_business_minutes,
        case
            when spans.has_status_history then spans.on_hold_time_calendar_minutes
            else cast(spans.hold_seconds as double) / 60
        end as on_hold_time_calendar_minutes,
        spans.on_hold_time_business_minutes
    from spans
    {{ business_clock_join('created', 'spans.business_clock', 'spans.created_at') }}
    {{ business_clock_join('first_reply', 'spans.business_clock', 'spans.first_replied_at') }}
    {{ business_clock_join('first_resolution', 'spans.business_clock', 'spans.first_resolved_at') }}
    {{ business_clock_join('full_resolution', 'spans.business_clock', 'spans.resolved_at') }}
    {{ business_clock_join('wait_ended', 'spans.business_clock', 'spans.wait_ended_at') }}
),

final as (
    select * from clocked
)

select * from final
