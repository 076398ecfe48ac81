{#- The journey map: per stage x touchpoint, what customers say (NPS, CSAT, CES) beside how
    often they have to get in touch, and a pain-point rank that puts what to fix first on top. -#}
with

touchpoints as (
    select * from {{ ref('stg_cx__journey_touchpoints') }}
),

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where touchpoint_id is not null
),

contacts as (
    select
        fct_contacts.*,
        contact_touchpoints.touchpoint_id
    from {{ ref('fct_contacts') }} as fct_contacts
    inner join {{ ref('int_contacts_touchpoints') }} as contact_touchpoints
        on fct_contacts.contact_id = contact_touchpoints.contact_id
    where contact_touchpoints.touchpoint_id is not null
),

customers as (
    select * from {{ ref('dim_customers') }}
),

history as (
    select
        least(
            (select min(answered_date) from {{ ref('fct_survey_responses') }}),
            (select min(created_date) from {{ ref('fct_contacts') }})
        ) as first_date,
        greatest(
            (select max(answered_date) from {{ ref('fct_survey_responses') }}),
            (select max(created_date) from {{ ref('fct_contacts') }})
        ) as last_date
),

customer_base as (
    {#- Customers at some point during the history: the contact rate's denominator. -#}
    select count(*) as customers_in_period
    from customers
    cross join history
    where customers.signup_date <= history.last_date
        and (customers.churn_date is null or customers.churn_date >= history.first_date)
),

survey_scores as (
    select
        touchpoint_id,
        count(*) as responses,
        count(nps_score) as nps_responses,
        cast(coalesce(sum(is_promoter), 0) as bigint) as promoters,
        cast(coalesce(sum(is_detractor), 0) as bigint) as detractors,
        count(is_csat_satisfied) as csat_responses,
        cast(coalesce(sum(is_csat_satisfied), 0) as bigint) as csat_satisfied_responses,
        count(ces_score) as ces_responses,
        cast(sum(ces_score) as bigint) as ces_score_sum
    from responses
    group by 1
),

contact_volumes as (
    select
        touchpoint_id,
        count(*) as contacts,
        count(distinct customer_id) as contacting_customers
    from contacts
    group by 1
),

reason_counts as (
    select
        touchpoint_id,
        contact_reason,
        count(*) as reason_contacts,
        row_number() over (partition by touchpoint_id order by count(*) desc, contact_reason) as reason_rank
    from contacts
    group by 1, 2
),

top_reasons as (
    select
        reason_counts.touchpoint_id,
        {{ string_agg_ordered(
            "reason_counts.contact_reason || ' (' || cast(round("
                ~ safe_ratio('reason_counts.reason_contacts', 'contact_volumes.contacts', 100)
                ~ ") as integer) || '%)'",
            "', '",
            "reason_counts.reason_rank",
        ) }} as top_contact_reasons
    from reason_counts
    inner join contact_volumes
        on reason_counts.touchpoint_id = contact_volumes.touchpoint_id
    where reason_counts.reason_rank <= 3
    group by 1
),

measured as (
    select
        touchpoints.journey_stage,
        touchpoints.journey_stage_order,
        touchpoints.touchpoint_id,
        touchpoints.touchpoint_name,
        touchpoints.touchpoint_channel,
        history.first_date,
        history.last_date,
        coalesce(survey_scores.responses, 0) as responses,
        coalesce(survey_scores.nps_responses, 0) as nps_responses,
        coalesce(survey_scores.promoters, 0) as promoters,
        coalesce(survey_scores.detractors, 0) as detractors,
        coalesce(survey_scores.csat_responses, 0) as csat_responses,
        coalesce(survey_scores.csat_satisfied_responses, 0) as csat_satisfied_responses,
        coalesce(survey_scores.ces_responses, 0) as ces_responses,
        survey_scores.ces_score_sum,
        coalesce(contact_volumes.contacts, 0) as contacts,
        coalesce(contact_volumes.contacting_customers, 0) as contacting_customers,
        customer_base.customers_in_period,
        top_reasons.top_contact_reasons
    from touchpoints
    cross join history
    cross join customer_base
    left join survey_scores
        on touchpoints.touchpoint_id = survey_scores.touchpoint_id
    left join contact_volumes
        on touchpoints.touchpoint_id = contact_volumes.touchpoint_id
    left join top_reasons
        on touchpoints.touchpoint_id = top_reasons.touchpoint_id
),

scored as (
    select
        *,
        {{ safe_ratio('promoters - detractors', 'nps_responses', 100) }} as nps,
        {{ safe_ratio('csat_satisfied_responses', 'csat_responses', 100) }} as csat_pct,
        {{ safe_ratio('ces_score_sum', 'ces_responses') }} as ces_mean,
        {{ safe_ratio('contacts', 'customers_in_period', 100) }} as contacts_per_100_customers,
        {#- Low score x high volume: interactions (responses + contacts) x the detractor share. -#}
        case
            when nps_responses >= {{ var('cx_journey_min_responses') }}
                then (responses + contacts) * cast(detractors as double) / nps_responses
        end as pain_point_score
    from measured
),

final as (
    select
        *,
        case
            when pain_point_score is not null
                then rank() over (partition by pain_point_score is null order by pain_point_score desc)
        end as pain_point_rank
    from scored
)

select * from final
