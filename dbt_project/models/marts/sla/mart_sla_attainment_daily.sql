{{ incremental_by('date_day', 'int_changes_contacts', ['created_date', 'previous_created_date']) }}

with

sla_policies as (
    select * from {{ ref('fct_contact_sla_policies') }}
    where {{ is_changed('created_date', ref('int_changes_contacts'), ['created_date', 'previous_created_date']) }}
),

daily as (
    select
        created_date as date_day,
        queue,
        priority,
        metric,
        count(*) as contacts_with_sla,
        cast(sum(case when is_achieved and not is_sla_breach then 1 else 0 end) as bigint) as achieved_within_target,
        cast(sum(case when is_achieved and is_sla_breach then 1 else 0 end) as bigint) as achieved_after_breach,
        cast(sum(case when not is_achieved and is_sla_breach then 1 else 0 end) as bigint) as breached_not_achieved,
        cast(sum(case when is_sla_active then 1 else 0 end) as bigint) as still_active,
        cast(sum(case when is_sla_breach is null then 1 else 0 end) as bigint) as without_breach_time,
        cast(sum(case when is_business_hours then 1 else 0 end) as bigint) as on_business_hours_policies,
        {{ exact_sum('sla_elapsed_minutes', 60000000) }} as sla_elapsed_minutes_sum
    from sla_policies
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        achieved_after_breach + breached_not_achieved as breached,
        {{ safe_ratio('achieved_within_target', 'achieved_within_target + achieved_after_breach + breached_not_achieved', 100) }}
            as sla_attainment_pct
    from daily
)

select * from final
