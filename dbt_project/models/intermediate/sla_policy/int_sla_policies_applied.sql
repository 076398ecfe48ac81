{#- Which SLA policy (seed sla_policies) applies to each contact and metric: among the policies
    valid on the contact's creation date (reporting time zone) whose channel and priority match
    ('*' matches any), the most specific one (channel and priority named beats one named beats
    none), then the latest valid_from. Abandoned contacts get none: the customer left. -#}
with

contacts as (
    select * from {{ ref('int_contacts_lifecycle') }}
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

candidates as (
    select
        contacts.contact_id,
        contacts.queue,
        contacts.channel,
        contacts.priority,
        contacts.created_at,
        policies.metric,
        policies.sla_policy_id,
        policies.target_minutes,
        policies.is_business_hours,
        row_number() over (
            partition by contacts.contact_id, policies.metric
            order by
                (case when policies.channel = '*' then 0 else 1 end)
                + (case when policies.priority = '*' then 0 else 1 end) desc,
                policies.channel <> '*' desc,
                policies.valid_from desc,
                policies.sla_policy_id
        ) as policy_rank
    from contacts
    inner join policies
        on (policies.channel = '*' or policies.channel = contacts.channel)
        and (policies.priority = '*' or policies.priority = contacts.priority)
        and {{ reporting_date('contacts.created_at') }} >= policies.valid_from
        and {{ reporting_date('contacts.created_at') }} < policies.valid_until
    where not contacts.is_abandoned
),

achievements as (
    select
        candidates.*,
        case candidates.metric
            when 'first_reply_time' then coalesce(contacts.first_replied_at, contacts.resolved_at)
            when 'first_resolution_time' then contacts.first_resolved_at
            when 'full_resolution_time' then contacts.resolved_at
        end as achieved_at
    from candidates
    inner join contacts
        on candidates.contact_id = contacts.contact_id
    where candidates.policy_rank = 1
),

final as (
    select
        contact_id,
        metric,
        sla_policy_id,
        queue,
        channel,
        priority,
        target_minutes,
        is_business_hours,
        created_at as sla_started_at,
        achieved_at
    from achievements
)

select * from final
