{#- Which SLA policy applies to each contact and metric. Zendesk's policies (stg_zendesk__sla_policy_targets)
    first, as Zendesk applies them: the contact's policy is the first by precedence whose channel,
    priority and queue match ('*' matches any), and it alone sets the metrics Zendesk policies
    set (first reply; none where it has no target for the priority). Otherwise, and for the
    other metrics, the seed sla_policies: among those valid on the contact's creation date
    (reporting time zone) whose channel and priority match, the most specific one (channel and
    priority named beats one named beats none), then the latest valid_from. Abandoned contacts
    get none: the customer left. The choice is made once per channel x priority x queue x
    creation date, not per contact: a few thousand rows to rank instead of millions. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}
{#- The metrics Zendesk policies set (METRICS in dagster_cx/sources/zendesk/sla_policies.py). -#}
{%- set zendesk_metrics = ['first_reply_time'] %}

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
    select distinct channel, priority, queue, created_date from contacts
),

zendesk_matches as (
    select
        contact_groups.channel,
        contact_groups.priority,
        contact_groups.queue,
        contact_groups.created_date,
        zendesk_policies.metric,
        zendesk_policies.sla_policy_id,
        zendesk_policies.target_minutes,
        zendesk_policies.is_business_hours,
        dense_rank() over (
            partition by contact_groups.channel, contact_groups.priority, contact_groups.queue, contact_groups.created_date
            order by zendesk_policies.precedence, zendesk_policies.sla_policy_id
        ) as policy_rank
    from contact_groups
    inner join {{ ref('stg_zendesk__sla_policy_targets') }} as zendesk_policies
        on (zendesk_policies.channel = '*' or zendesk_policies.channel = contact_groups.channel)
        and zendesk_policies.priority = contact_groups.priority
        and (zendesk_policies.queue = '*' or zendesk_policies.queue = contact_groups.queue)
),

zendesk_first as (
    select * from zendesk_matches where policy_rank = 1
),

ranked as (
    select
        contact_groups.channel,
        contact_groups.priority,
        contact_groups.queue,
        contact_groups.created_date,
        policies.metric,
        policies.sla_policy_id,
        policies.target_minutes,
        policies.is_business_hours,
        row_number() over (
            partition by contact_groups.channel, contact_groups.priority, contact_groups.queue, contact_groups.created_date,
                policies.metric
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

zendesk_claimed as (
    select distinct channel, priority, queue, created_date from zendesk_first
),

seed_chosen as (
    select
        ranked.channel,
        ranked.priority,
        ranked.queue,
        ranked.created_date,
        ranked.metric,
        ranked.sla_policy_id,
        ranked.target_minutes,
        ranked.is_business_hours
    from ranked
    left join zendesk_claimed
        on zendesk_claimed.channel = ranked.channel
        and zendesk_claimed.priority = ranked.priority
        and zendesk_claimed.queue = ranked.queue
        and zendesk_claimed.created_date = ranked.created_date
    where ranked.policy_rank = 1
        and (zendesk_claimed.channel is null or ranked.metric not in ({{ "'" ~ zendesk_metrics | join("', '") ~ "'" }}))
),

chosen as (
    select * from seed_chosen
    union all
    select channel, priority, queue, created_date, metric, sla_policy_id, target_minutes, is_business_hours
    from zendesk_first
    where metric is not null
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
        and contacts.queue = chosen.queue
        and contacts.created_date = chosen.created_date
)

select * from final
