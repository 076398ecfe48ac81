{#- One row per contact x SLA metric with a policy: the target, the instant it is breached
    (calendar: start + target; business: the instant the queue's business clock has run the
    target), the elapsed time on the policy's clock up to achievement (or the as-of moment while
    running), and the verdict. Breached = achieved after the breach instant, or not achieved and
    the breach instant has passed; active = not achieved and not breached yet. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

applied as (
    select * from {{ ref('int_sla_policies_applied') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

as_of as (
    select * from {{ ref('int_contacts_data_as_of') }}
),

measured_until as (
    select
        applied.*,
        as_of.as_of_at,
        coalesce(applied.achieved_at, greatest(as_of.as_of_at, applied.sla_started_at)) as measured_until_at
    from applied
    cross join as_of
),

clocked as (
    select
        measured_until.*,
        {{ business_clock_reading('clock_start', 'measured_until.sla_started_at') }} as started_clock_minutes,
        {{ business_minutes_between(
            'clock_start', 'measured_until.sla_started_at', 'clock_until', 'measured_until.measured_until_at') }}
            as elapsed_business_minutes,
        {{ minutes_between('measured_until.sla_started_at', 'measured_until.measured_until_at') }}
            as elapsed_calendar_minutes
    from measured_until
    {{ business_clock_join('clock_start', 'measured_until.business_clock', 'measured_until.sla_started_at') }}
    {{ business_clock_join('clock_until', 'measured_until.business_clock', 'measured_until.measured_until_at') }}
),

breach_times as (
    select
        clocked.*,
        case
            when not clocked.is_business_hours
                then {{ add_minutes('clocked.sla_started_at', 'clocked.target_minutes') }}
            else {{ add_minutes(
                'by_minutes.start_at',
                'clocked.started_clock_minutes + clocked.target_minutes - by_minutes.working_minutes_before') }}
        end as sla_breach_at
    from clocked
    left join {{ ref('int_business_hours_queue_clock_by_minutes') }} as by_minutes
        on clocked.is_business_hours
        and by_minutes.queue = clocked.business_clock
        and by_minutes.minute_bucket = floor((clocked.started_clock_minutes + clocked.target_minutes) / 1440)
        and by_minutes.working_minutes_before < clocked.started_clock_minutes + clocked.target_minutes
        and by_minutes.working_minutes_before + by_minutes.working_minutes
            >= clocked.started_clock_minutes + clocked.target_minutes
),

final as (
    select
        breach_times.contact_id,
        breach_times.metric,
        breach_times.sla_policy_id,
        breach_times.queue,
        breach_times.channel,
        breach_times.priority,
        breach_times.created_date,
        breach_times.target_minutes,
        breach_times.is_business_hours,
        breach_times.sla_started_at,
        breach_times.achieved_at,
        breach_times.sla_breach_at,
        breach_times.elapsed_calendar_minutes,
        breach_times.elapsed_business_minutes,
        case
            when breach_times.is_business_hours then breach_times.elapsed_business_minutes
            else breach_times.elapsed_calendar_minutes
        end as sla_elapsed_minutes,
        breach_times.achieved_at is not null as is_achieved,
        case
            when breach_times.achieved_at is not null then breach_times.achieved_at > breach_times.sla_breach_at
            else breach_times.as_of_at > breach_times.sla_breach_at
        end as is_sla_breach,
        breach_times.achieved_at is null and breach_times.as_of_at <= breach_times.sla_breach_at as is_sla_active
    from breach_times
)

select * from final
