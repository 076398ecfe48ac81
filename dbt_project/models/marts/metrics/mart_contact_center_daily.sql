{{ incremental_by('date_day', 'int_changes_contacts', ['created_date', 'previous_created_date']) }}

with

contacts as (
    select * from {{ ref('fct_contacts') }}
    where {{ is_changed('created_date', ref('int_changes_contacts'), ['created_date', 'previous_created_date']) }}
),

sla_by_contact as (
    select
        contact_id,
        max(case when metric = 'first_reply_time' and is_sla_breach = false and is_achieved then 1 else 0 end)
            as first_reply_sla_achieved,
        max(case when metric = 'first_reply_time' and is_sla_breach then 1 else 0 end) as first_reply_sla_breached,
        max(case when metric = 'full_resolution_time' and is_sla_breach = false and is_achieved then 1 else 0 end)
            as full_resolution_sla_achieved,
        max(case when metric = 'full_resolution_time' and is_sla_breach then 1 else 0 end)
            as full_resolution_sla_breached
    from {{ ref('fct_contact_sla_policies') }}
    where {{ is_changed('created_date', ref('int_changes_contacts'), ['created_date', 'previous_created_date']) }}
    group by contact_id
),

daily as (
    select
        created_date as date_day,
        channel,
        queue,
        bool_or(is_real_time_channel) as is_real_time_channel,
        count(*) as contacts_created,
        cast(sum(case when is_offered then 1 else 0 end) as bigint) as contacts_offered,
        cast(sum(case when is_handled then 1 else 0 end) as bigint) as contacts_handled,
        cast(sum(case when is_offered and is_abandoned then 1 else 0 end) as bigint) as contacts_abandoned,
        cast(sum(case when is_short_abandon then 1 else 0 end) as bigint) as contacts_short_abandoned,
        cast(sum(case when is_offered and is_answered_within_service_level then 1 else 0 end) as bigint)
            as contacts_answered_within_service_level,
        count(first_reply_time_calendar_minutes) as first_replies,
        {{ percentile_cont('first_reply_time_calendar_minutes', 0.5) }}
            as first_reply_time_median_minutes,
        {{ percentile_cont('first_reply_time_calendar_minutes', 0.9) }}
            as first_reply_time_p90_minutes,
        {{ percentile_cont('first_reply_time_business_minutes', 0.5) }}
            as first_reply_time_business_median_minutes,
        {{ percentile_cont('first_reply_time_business_minutes', 0.9) }}
            as first_reply_time_business_p90_minutes,
        cast(sum(case when is_resolved then 1 else 0 end) as bigint) as contacts_resolved,
        {{ percentile_cont('full_resolution_time_calendar_minutes', 0.5) }}
            as full_resolution_time_median_minutes,
        {{ percentile_cont('full_resolution_time_business_minutes', 0.5) }}
            as full_resolution_time_business_median_minutes,
        cast(sum(coalesce(sla_by_contact.first_reply_sla_achieved, 0)) as bigint) as first_reply_sla_achieved,
        cast(sum(coalesce(sla_by_contact.first_reply_sla_breached, 0)) as bigint) as first_reply_sla_breached,
        cast(sum(coalesce(sla_by_contact.full_resolution_sla_achieved, 0)) as bigint) as full_resolution_sla_achieved,
        cast(sum(coalesce(sla_by_contact.full_resolution_sla_breached, 0)) as bigint) as full_resolution_sla_breached,
        cast(sum(handle_seconds) as bigint) as handle_seconds_sum,
        cast(sum(case when is_first_contact_resolution is not null then 1 else 0 end) as bigint)
            as fcr_eligible_contacts,
        cast(sum(case when is_first_contact_resolution then 1 else 0 end) as bigint) as first_contact_resolutions,
        cast(sum(reopen_count) as bigint) as reopens
    from contacts
    left join sla_by_contact
        on contacts.contact_id = sla_by_contact.contact_id
    group by 1, 2, 3
),

final as (
    select
        date_day,
        channel,
        queue,
        contacts_created,
        contacts_offered,
        contacts_handled,
        contacts_abandoned,
        contacts_short_abandoned,
        contacts_answered_within_service_level,
        first_replies,
        first_reply_time_median_minutes,
        first_reply_time_p90_minutes,
        first_reply_time_business_median_minutes,
        first_reply_time_business_p90_minutes,
        contacts_resolved,
        full_resolution_time_median_minutes,
        full_resolution_time_business_median_minutes,
        first_reply_sla_achieved,
        first_reply_sla_breached,
        full_resolution_sla_achieved,
        full_resolution_sla_breached,
        handle_seconds_sum,
        fcr_eligible_contacts,
        first_contact_resolutions,
        reopens,
        {{ safe_ratio('contacts_abandoned', 'contacts_offered', 100) }} as abandonment_rate_pct,
        case
            when is_real_time_channel
                then {{ safe_ratio('contacts_answered_within_service_level', 'contacts_offered', 100) }}
        end as service_level_pct,
        {{ safe_ratio('handle_seconds_sum', 'contacts_handled') }} as average_handle_time_seconds,
        {{ safe_ratio('first_contact_resolutions', 'fcr_eligible_contacts', 100) }} as fcr_rate_pct,
        {{ safe_ratio('first_reply_sla_achieved', 'first_reply_sla_achieved + first_reply_sla_breached', 100) }}
            as first_reply_sla_attainment_pct,
        {{ safe_ratio('full_resolution_sla_achieved', 'full_resolution_sla_achieved + full_resolution_sla_breached', 100) }}
            as full_resolution_sla_attainment_pct
    from daily
)

select * from final
