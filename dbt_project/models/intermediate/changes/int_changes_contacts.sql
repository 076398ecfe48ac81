{#- The contacts this run recomputes, with their reporting dates before and after. A contact
    is recomputed when a raw row loaded since the last recorded build touches it (its own
    version, a status change or a message, in any version), when its customer changed, when
    its repeat window reaches a touched contact of its customer (first-contact resolution
    counts a customer's later contacts on the same reason), when it was still open in the
    previous build (open contacts are measured up to the data's as-of moment, which moves with
    new data), or when a backfill names its creation date. -#}
{%- set previous_contacts = previous_version_of('fct_contacts') %}
{%- set previous_periods = previous_version_of('int_contacts_status_periods') %}
with

builds as (
    select {{ last_build_load_id() }} as after_load_id
),

raw_contacts as (
    select contact_id, customer_id, created_at, _load_id from {{ source('raw', 'contacts') }}
),

raw_status_changes as (
    select status_change_id, contact_id, _load_id from {{ source('raw', 'contact_status_changes') }}
),

raw_messages as (
    select message_id, contact_id, _load_id from {{ source('raw', 'contact_messages') }}
),

raw_customers as (
    select customer_id, _load_id from {{ source('raw', 'customers') }}
),

contacts as (
    select contact_id, customer_id, {{ reporting_date('created_at') }} as created_date
    from {{ ref('stg_cx__contacts') }}
),

touched_status_changes as (
    select status_change_id from raw_status_changes
    where _load_id > (select after_load_id from builds)
),

touched_messages as (
    select message_id from raw_messages
    where _load_id > (select after_load_id from builds)
),

touched_contacts as (
    select contact_id from raw_contacts
    where _load_id > (select after_load_id from builds)
    union
    select contact_id from raw_status_changes
    where status_change_id in (select status_change_id from touched_status_changes)
    union
    select contact_id from raw_messages
    where message_id in (select message_id from touched_messages)
),

changed_customers as (
    select customer_id from raw_customers
    where _load_id > (select after_load_id from builds)
),

{#- Per customer, the earliest creation time any version of a touched contact had: a contact
    whose repeat window ended before it counts none of them as repeats, before or after. -#}
customers_of_touched_contacts as (
    select customer_id, min(created_at) as earliest_touched_at
    from raw_contacts
    where contact_id in (select contact_id from touched_contacts)
    group by customer_id
),

{% if previous_contacts is not none %}
{#- Abandoned contacts are final once closed: the customer left, and they get no SLA. -#}
previously_open as (
    select contact_id from {{ previous_contacts }}
    where (resolved_at is null and not is_abandoned) or closed_at is null
    {%- if previous_periods is not none %}
    union
    select contact_id from {{ previous_periods }}
    where is_latest and status not in ('solved', 'closed')
    {%- endif %}
),

{#- The window as int_contacts_repeat_contacts draws it, from the previous build's lifecycle
    (a contact whose own lifecycle changed is touched itself). -#}
repeat_windows_reaching_touched as (
    select previous_contacts.contact_id
    from {{ previous_contacts }} as previous_contacts
    inner join customers_of_touched_contacts
        on previous_contacts.customer_id = customers_of_touched_contacts.customer_id
    where {{ add_days('coalesce(previous_contacts.resolved_at, previous_contacts.created_at)',
                      var('cx_fcr_window_days')) }} >= customers_of_touched_contacts.earliest_touched_at
),

previous_dates as (
    select contact_id, created_date from {{ previous_contacts }}
),
{% endif %}

changed as (
    select contacts.contact_id
    from contacts
    where contacts.contact_id in (select contact_id from touched_contacts)
        or contacts.customer_id in (select customer_id from changed_customers)
        or {{ in_rebuild_range('contacts.created_date') }}
    {%- if previous_contacts is not none %}
        or contacts.contact_id in (select contact_id from repeat_windows_reaching_touched)
        or (
            contacts.contact_id in (select contact_id from previously_open)
            and exists (select 1 from touched_contacts)
        )
    {%- else %}
        or contacts.customer_id in (select customer_id from customers_of_touched_contacts)
    {%- endif %}
),

final as (
    select
        changed.contact_id,
        contacts.created_date,
        {% if previous_contacts is not none -%}
        previous_dates.created_date
        {%- else -%}
        cast(null as date)
        {%- endif %} as previous_created_date
    from changed
    inner join contacts
        on changed.contact_id = contacts.contact_id
    {%- if previous_contacts is not none %}
    left join previous_dates
        on changed.contact_id = previous_dates.contact_id
    {%- endif %}
)

select * from final
{%- if flags.FULL_REFRESH %}
-- A full refresh rebuilds every model from all rows and reads no changes: skip the work.
where false
{%- endif %}
