with

contacts as (
    select * from {{ ref('fct_contacts') }}
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
        cast(sum(case when is_resolved then 1 else 0 end) as bigint) as contacts_resolved,
        {{ percentile_cont('full_resolution_time_calendar_minutes', 0.5) }}
            as full_resolution_time_median_minutes,
        cast(sum(handle_seconds) as bigint) as handle_seconds_sum,
        cast(sum(case when is_first_contact_resolution is not null then 1 else 0 end) as bigint)
            as fcr_eligible_contacts,
        cast(sum(case when is_first_contact_resolution then 1 else 0 end) as bigint) as first_contact_resolutions,
        cast(sum(reopen_count) as bigint) as reopens
    from contacts
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
        contacts_resolved,
        full_resolution_time_median_minutes,
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
        {{ safe_ratio('first_contact_resolutions', 'fcr_eligible_contacts', 100) }} as fcr_rate_pct
    from daily
)

select * from final
