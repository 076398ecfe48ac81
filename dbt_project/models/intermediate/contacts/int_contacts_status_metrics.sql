{#- Per contact with a status history: first and final resolution, reopens, and the time spent
    waiting, in calendar and business minutes (the queue's business clock). Requester wait =
    new + open + on hold (the customer waits for us); agent wait = pending (we wait for the
    customer); on hold = waiting for a third party. A contact reopened and not solved again has
    no final resolution. Minutes are summed exactly (exact_sum), so a backfill of the same periods
    gives the same bits as the full build. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

periods as (
    select * from {{ ref('int_contacts_status_periods') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

clocked as (
    select
        periods.*,
        {{ minutes_between('periods.period_started_at', 'periods.period_ended_at') }} as calendar_minutes,
        {{ business_minutes_between('clock_start', 'periods.period_started_at', 'clock_end', 'periods.period_ended_at') }}
            as business_minutes
    from periods
    {{ business_clock_join('clock_start', 'periods.business_clock', 'periods.period_started_at') }}
    {{ business_clock_join('clock_end', 'periods.business_clock', 'periods.period_ended_at') }}
),

aggregated as (
    select
        contact_id,
        min(case when status = 'solved' then period_started_at end) as first_solved_at,
        max(case when is_latest and status in ('solved', 'closed') then 1 else 0 end) = 1
            and max(case when status = 'solved' then 1 else 0 end) = 1 as is_solved_now,
        max(case when status = 'solved' then period_started_at end) as last_solved_at,
        sum(case when is_reopen then 1 else 0 end) as reopen_count,
        {{ exact_sum("case when status in ('new', 'open', 'on_hold') then calendar_minutes else 0 end", 60000000) }}
            as requester_wait_time_calendar_minutes,
        {{ exact_sum("case when status in ('new', 'open', 'on_hold') then business_minutes else 0 end", 60000000) }}
            as requester_wait_time_business_minutes,
        {{ exact_sum("case when status = 'pending' then calendar_minutes else 0 end", 60000000) }} as agent_wait_time_calendar_minutes,
        {{ exact_sum("case when status = 'pending' then business_minutes else 0 end", 60000000) }} as agent_wait_time_business_minutes,
        {{ exact_sum("case when status = 'on_hold' then calendar_minutes else 0 end", 60000000) }} as on_hold_time_calendar_minutes,
        {{ exact_sum("case when status = 'on_hold' then business_minutes else 0 end", 60000000) }} as on_hold_time_business_minutes,
        count(period_ended_at) = count(business_minutes) as is_on_calendar
    from clocked
    group by contact_id
),

final as (
    select
        contact_id,
        first_solved_at,
        case when is_solved_now then last_solved_at end as final_solved_at,
        reopen_count,
        requester_wait_time_calendar_minutes,
        case when is_on_calendar then requester_wait_time_business_minutes end as requester_wait_time_business_minutes,
        agent_wait_time_calendar_minutes,
        case when is_on_calendar then agent_wait_time_business_minutes end as agent_wait_time_business_minutes,
        on_hold_time_calendar_minutes,
        case when is_on_calendar then on_hold_time_business_minutes end as on_hold_time_business_minutes
    from aggregated
)

select * from final
