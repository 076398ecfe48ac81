{#- The CX scorecard: per month and measure, actual vs the target in force that month, a
    status and the trend against the previous month. -#}
with

actuals as (
    select * from {{ ref('int_scorecard_monthly_actuals') }}
),

targets as (
    select * from {{ ref('scorecard_targets') }}
),

targets_in_force as (
    select
        actuals.month_start_date,
        actuals.measure,
        targets.config_version,
        targets.valid_from,
        row_number() over (
            partition by actuals.month_start_date, actuals.measure order by targets.valid_from desc
        ) as recency
    from actuals
    inner join targets
        on actuals.measure = targets.measure
        and targets.valid_from <= actuals.month_start_date
),

with_targets as (
    select
        actuals.month_start_date,
        targets.objective,
        actuals.measure,
        targets.measure_label,
        targets.unit,
        targets.business_kpi,
        targets.config_version,
        targets.comparator,
        targets.target_value,
        targets.at_risk_margin,
        actuals.numerator,
        actuals.denominator,
        actuals.actual_value,
        {#- How far the actual is on the good side of the target (negative: a miss). -#}
        case targets.comparator
            when '>=' then actuals.actual_value - targets.target_value
            else targets.target_value - actuals.actual_value
        end as margin_to_target
    from actuals
    inner join targets_in_force
        on actuals.month_start_date = targets_in_force.month_start_date
        and actuals.measure = targets_in_force.measure
        and targets_in_force.recency = 1
    inner join targets
        on targets_in_force.measure = targets.measure
        and targets_in_force.valid_from = targets.valid_from
),

with_previous as (
    select
        with_targets.*,
        previous.actual_value as previous_actual_value
    {#- The previous month counts only when it is on the scorecard too (not a sliver before the first target). #}
    from with_targets
    left join with_targets as previous
        on previous.measure = with_targets.measure
        and previous.month_start_date = {{ add_months('with_targets.month_start_date', -1) }}
),

final as (
    select
        month_start_date,
        objective,
        measure,
        measure_label,
        unit,
        business_kpi,
        config_version,
        comparator,
        target_value,
        at_risk_margin,
        numerator,
        denominator,
        actual_value,
        margin_to_target,
        case
            when actual_value is null then 'no data'
            when margin_to_target >= 0 then 'on track'
            when margin_to_target >= -at_risk_margin then 'at risk'
            else 'off track'
        end as status,
        previous_actual_value,
        actual_value - previous_actual_value as change_from_previous,
        case
            when actual_value is null or previous_actual_value is null then 'no comparison'
            when actual_value = previous_actual_value then 'flat'
            when (actual_value > previous_actual_value) = (comparator = '>=') then 'improving'
            else 'worsening'
        end as trend
    from with_previous
)

select * from final
