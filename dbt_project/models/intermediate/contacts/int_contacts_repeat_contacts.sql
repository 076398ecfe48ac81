{#- A repeat contact: the same customer, on the same reason, created after this contact
    (ties broken by contact_id) and no later than cx_fcr_window_days after this contact's
    resolution (or creation, while unresolved). The customer comes back: an outbound call the
    contact center makes is no repeat. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

contacts as (
    select * from {{ ref('int_contacts_lifecycle') }}
),

{#- Recomputed contacts look for repeats among all contacts: the changes model recomputes every
    contact of a customer with a changed contact, so each pair has its original in here. -#}
changed_contacts as (
    select * from contacts
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

repeat_pairs as (
    select
        original.contact_id,
        later.contact_id as repeat_contact_id,
        later.created_at as repeat_created_at
    from changed_contacts as original
    inner join contacts as later
        on later.customer_id = original.customer_id
        and later.contact_reason = original.contact_reason
        and later.contact_id <> original.contact_id
        and later.direction <> 'outbound'
        and (
            later.created_at > original.created_at
            or (later.created_at = original.created_at and later.contact_id > original.contact_id)
        )
        and later.created_at <= {{ add_days(
            'coalesce(original.resolved_at, original.created_at)', var('cx_fcr_window_days')) }}
),

final as (
    select
        contact_id,
        count(*) as repeat_contacts_within_window,
        min(repeat_created_at) as first_repeat_created_at
    from repeat_pairs
    group by contact_id
)

select * from final
