{#- One row per stretch of time a contact spent in one status, from its status history: from
    a change to the next change. The last stretch of a working status runs up to the data's
    as-of moment; the last of a solved or closed contact has no end (nothing accrues while it
    stays finished, and a new as-of moment leaves it unchanged). `reopened`
    counts as open. A change out of solved or closed into any working status is a reopen.
    A history that starts after the contact's creation (an export from a later start) gets a
    first stretch in `new`, the initial status, from creation to its first recorded change. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

status_changes as (
    select * from {{ ref('stg_cx__contact_status_changes') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

contacts as (
    select contact_id, queue, schedule_id, created_at from {{ ref('stg_cx__contacts') }}
),

as_of as (
    select * from {{ ref('int_contacts_data_as_of') }}
),

first_changes as (
    select contact_id, min(changed_at) as first_changed_at
    from status_changes
    group by contact_id
),

new_before_history as (
    {#- No change starts it, so no status_change_id. -#}
    select
        contacts.contact_id,
        cast(null as {{ dbt.type_string() }}) as status_change_id,
        'new' as status,
        contacts.created_at as changed_at
    from first_changes
    inner join contacts
        on first_changes.contact_id = contacts.contact_id
    where contacts.created_at < first_changes.first_changed_at
),

history as (
    select contact_id, status_change_id, status, changed_at from status_changes
    union all
    select contact_id, status_change_id, status, changed_at from new_before_history
),

ordered as (
    select
        history.contact_id,
        history.status_change_id,
        case when history.status = 'reopened' then 'open' else history.status end as status,
        history.changed_at,
        lag(history.status) over (
            partition by history.contact_id order by history.changed_at, history.status_change_id
        ) as previous_status,
        lead(history.changed_at) over (
            partition by history.contact_id order by history.changed_at, history.status_change_id
        ) as next_changed_at,
        lead(history.status_change_id) over (
            partition by history.contact_id order by history.changed_at, history.status_change_id
        ) is null as is_latest
    from history
),

final as (
    select
        ordered.contact_id,
        contacts.queue,
        {{ business_clock_of('contacts.queue', 'contacts.schedule_id') }} as business_clock,
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
