{#- Which SLA policy (seed sla_policies) applies to each contact and metric: among the policies
    valid on the contact's creation date (reporting time zone) whose channel and priority match
    ('*' matches any), the most specific one (channel and priority named beats one named beats
    none), then the latest valid_from. Abandoned contacts get none: the customer left. The
    choice is made once per channel x priority x creation date, not per contact: a few
    thousand rows to rank instead of millions. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

contacts as (
    select
        *,
        {{ reporting_date('created_at') }} as created_date
    from {{ ref('int_contacts_lifecycle') }}
    where not is_abandoned
        and {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

policies as (
    select
        sla_policy_id,
        metric,
        channel,
        priority,
        target_minutes,
        is_business_hours,
        {{ validity_range('valid_from', 'valid_until') }}
    from {{ ref('sla_policies') }}
),

contact_groups as (
    select distinct channel, priority, created_date from contacts
),

ranked as (
    select
        contact_groups.channel,
        contact_groups.priority,
        contact_groups.created_date,
        policies.metric,
        policies.sla_policy_id,
        policies.target_minutes,
        policies.is_business_hours,
        row_number() over (
            partition by contact_groups.channel, contact_groups.priority, contact_groups.created_date, policies.metric
            order by
                (case when policies.channel = '*' then 0 else 1 end)
                + (case when policies.priority = '*' then 0 else 1 end) desc,
                policies.channel <> '*' desc,
                policies.valid_from desc,
                policies.sla_policy_id
        ) as policy_rank
    from contact_groups
    inner join policies
        on (policies.channel = '*' or policies.channel = contact_groups.channel)
        and (policies.priority = '*' or policies.priority = contact_groups.priority)
        and contact_groups.created_date >= policies.valid_from
        and contact_groups.created_date < policies.valid_until
),

chosen as (
    select * from ranked where policy_rank = 1
),

final as (
    select
        contacts.contact_id,
        chosen.metric,
        chosen.sla_policy_id,
        contacts.queue,
        contacts.business_clock,
        contacts.channel,
        contacts.priority,
        contacts.created_date,
        chosen.target_minutes,
        chosen.is_business_hours,
        contacts.created_at as sla_started_at,
        case chosen.metric
            when 'first_reply_time' then coalesce(contacts.first_replied_at, contacts.resolved_at)
            when 'first_resolution_time' then contacts.first_resolved_at
            when 'full_resolution_time' then contacts.resolved_at
        end as achieved_at
    from contacts
    inner join chosen
        on contacts.channel = chosen.channel
        and contacts.priority = chosen.priority
        and contacts.created_date = chosen.created_date
)

select * from final
