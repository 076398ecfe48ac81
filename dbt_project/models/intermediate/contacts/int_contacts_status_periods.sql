{#- One row per stretch of time a contact spent in one status, from its status history: from
    a change to the next change. The last stretch of a working status runs up to the data's
    as-of moment; the last of a solved or closed contact has no end (nothing accrues while it
    stays finished, and a new as-of moment leaves it unchanged). `reopened`
    counts as open. A change out of solved or closed into any working status is a reopen. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

status_changes as (
    select * from {{ ref('stg_cx__contact_status_changes') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

contacts as (
    select contact_id, queue from {{ ref('stg_cx__contacts') }}
),

as_of as (
    select * from {{ ref('int_contacts_data_as_of') }}
),

ordered as (
    select
        status_changes.contact_id,
        status_changes.status_change_id,
        case when status_changes.status = 'reopened' then 'open' else status_changes.status end as status,
        status_changes.changed_at,
        lag(status_changes.status) over (
            partition by status_changes.contact_id order by status_changes.changed_at, status_changes.status_change_id
        ) as previous_status,
        lead(status_changes.changed_at) over (
            partition by status_changes.contact_id order by status_changes.changed_at, status_changes.status_change_id
        ) as next_changed_at,
        lead(status_changes.status_change_id) over (
            partition by status_changes.contact_id order by status_changes.changed_at, status_changes.status_change_id
        ) is null as is_latest
    from status_changes
),

final as (
    select
        ordered.contact_id,
        contacts.queue,
        ordered.status_change_id,
        ordered.status,
        ordered.changed_at as period_started_at,
        case
            when ordered.next_changed_at is not null then ordered.next_changed_at
            when ordered.status not in ('solved', 'closed') then greatest(as_of.as_of_at, ordered.changed_at)
        end as period_ended_at,
        ordered.is_latest,
        ordered.previous_status in ('solved', 'closed') and ordered.status not in ('solved', 'closed') as is_reopen
    from ordered
    inner join contacts
        on ordered.contact_id = contacts.contact_id
    cross join as_of
)

select * from final
