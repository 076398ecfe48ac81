{#- The closed-loop queue: recent unhappy respondents for the CX team to call back, most
    urgent first. -#}
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
),

contacts as (
    select * from {{ ref('fct_contacts') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

as_of as (
    {#- The queue is relative to the latest answer, so a replayed or late history behaves like a live one. -#}
    select max(answered_date) as as_of_date from responses
),

revenue_thresholds as (
    select
        {{ percentile_cont('annual_revenue', 0.5) }} as median_revenue,
        {{ percentile_cont('annual_revenue', 0.75) }} as top_quartile_revenue
    from customers
),

unhappy as (
    select
        responses.*,
        as_of.as_of_date,
        coalesce(responses.nps_score <= 6, false) as is_nps_detractor,
        coalesce(responses.is_csat_dissatisfied = 1, false) as is_very_dissatisfied,
        coalesce(responses.ces_score <= 2, false) as is_high_effort
    from responses
    cross join as_of
    where responses.answered_date > {{ add_days('as_of.as_of_date', - var('cx_followup_days')) }}
        and (responses.nps_score <= 6 or responses.is_csat_dissatisfied = 1 or responses.ces_score <= 2)
),

scored as (
    select
        unhappy.response_id,
        unhappy.answered_at,
        unhappy.answered_date,
        unhappy.as_of_date,
        {{ datediff_days('unhappy.answered_date', 'unhappy.as_of_date') }} as days_waiting,
        unhappy.survey_kind,
        unhappy.customer_id,
        unhappy.customer_segment,
        customers.annual_revenue,
        case
            when customers.annual_revenue >= revenue_thresholds.top_quartile_revenue then 'top 25%'
            when customers.annual_revenue >= revenue_thresholds.median_revenue then 'upper middle'
            when customers.annual_revenue is not null then 'lower half'
            else 'unknown'
        end as customer_value_tier,
        coalesce(customers.is_churned, false) as is_churned,
        unhappy.channel,
        unhappy.touchpoint_id,
        unhappy.journey_stage,
        unhappy.contact_id,
        contacts.contact_reason,
        contacts.queue,
        contacts.agent_id,
        unhappy.nps_score,
        unhappy.nps_category,
        unhappy.csat_score,
        unhappy.csat_answer_value,
        unhappy.csat_scale_max,
        unhappy.ces_score,
        unhappy.comment_text,
        unhappy.has_comment,
        concat_ws(', ',
            case when unhappy.is_nps_detractor then 'detractor' end,
            case when unhappy.is_very_dissatisfied then 'very low CSAT' end,
            case when unhappy.is_high_effort then 'high effort' end
        ) as followup_reasons,
        {#- Priority points (DECISIONLOG.md): how unhappy, whether they told us why, what they are worth. -#}
        case when unhappy.nps_score <= 3 then 3 when unhappy.nps_score <= 6 then 2 else 0 end
            + case
                when unhappy.csat_answer_value = unhappy.csat_scale_min then 2
                when unhappy.is_csat_dissatisfied = 1 then 1
                else 0
            end
            + case when unhappy.ces_score = 1 then 2 when unhappy.ces_score = 2 then 1 else 0 end
            + case when unhappy.has_comment then 2 else 0 end
            + case
                when customers.annual_revenue >= revenue_thresholds.top_quartile_revenue then 2
                when customers.annual_revenue >= revenue_thresholds.median_revenue then 1
                else 0
            end as priority_points
    from unhappy
    cross join revenue_thresholds
    left join customers
        on unhappy.customer_id = customers.customer_id
    left join contacts
        on unhappy.contact_id = contacts.contact_id
),

final as (
    select
        *,
        row_number() over (
            order by priority_points desc, annual_revenue desc nulls last, answered_at, response_id
        ) as priority_rank
    from scored
)

select * from final
