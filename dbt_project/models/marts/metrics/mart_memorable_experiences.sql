{#- Key moments (contacts) rated twice: right after (transactional survey) and 2-3 months
    later (delayed survey), side by side with whether the customer churned afterwards.
    Gartner (DOMAIN.md): the delayed answer, given once memory has settled, is the one that
    predicts loyalty. -#}
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where contact_id is not null
),

contacts as (
    select * from {{ ref('fct_contacts') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

touchpoints as (
    select * from {{ ref('stg_cx__journey_touchpoints') }}
),

ranked as (
    {#- A contact surveyed twice of the same kind keeps its first answer of that kind. -#}
    select
        *,
        row_number() over (partition by contact_id, survey_kind order by answered_at, response_id) as kind_order
    from responses
    where survey_kind in ('transactional', 'delayed')
),

immediate as (
    select * from ranked where survey_kind = 'transactional' and kind_order = 1
),

delayed as (
    select * from ranked where survey_kind = 'delayed' and kind_order = 1
),

paired as (
    select
        immediate.contact_id,
        immediate.customer_id,
        immediate.customer_segment,
        coalesce(delayed.touchpoint_id, immediate.touchpoint_id, 'unknown') as touchpoint_id,
        immediate.response_id as immediate_response_id,
        immediate.answered_date as immediate_answered_date,
        immediate.nps_score as immediate_nps_score,
        immediate.nps_category as immediate_nps_category,
        immediate.csat_score as immediate_csat_score,
        delayed.response_id as delayed_response_id,
        delayed.answered_date as delayed_answered_date,
        delayed.nps_score as delayed_nps_score,
        delayed.nps_category as delayed_nps_category,
        delayed.csat_score as delayed_csat_score,
        delayed.comment_text as delayed_comment_text
    from immediate
    inner join delayed
        on immediate.contact_id = delayed.contact_id
),

final as (
    select
        paired.contact_id,
        paired.customer_id,
        paired.customer_segment,
        contacts.channel,
        contacts.contact_reason,
        contacts.created_date as contact_created_date,
        contacts.reopen_count,
        paired.touchpoint_id,
        coalesce(touchpoints.touchpoint_name, 'Unknown touchpoint') as touchpoint_name,
        coalesce(touchpoints.journey_stage, 'unknown') as journey_stage,
        paired.immediate_response_id,
        paired.immediate_answered_date,
        paired.immediate_nps_score,
        paired.immediate_nps_category,
        paired.immediate_csat_score,
        paired.delayed_response_id,
        paired.delayed_answered_date,
        {{ datediff_days('paired.immediate_answered_date', 'paired.delayed_answered_date') }} as days_between_surveys,
        paired.delayed_nps_score,
        paired.delayed_nps_category,
        paired.delayed_csat_score,
        paired.delayed_nps_score - paired.immediate_nps_score as nps_score_change,
        paired.delayed_comment_text,
        paired.delayed_comment_text is not null as has_delayed_comment,
        customers.churn_date,
        coalesce(customers.churn_date > paired.delayed_answered_date, false) as is_churned_after_delayed_survey,
        case
            when customers.churn_date > paired.delayed_answered_date
                then {{ datediff_days('paired.delayed_answered_date', 'customers.churn_date') }}
        end as days_to_churn
    from paired
    left join contacts
        on paired.contact_id = contacts.contact_id
    left join customers
        on paired.customer_id = customers.customer_id
    left join touchpoints
        on paired.touchpoint_id = touchpoints.touchpoint_id
)

select * from final
