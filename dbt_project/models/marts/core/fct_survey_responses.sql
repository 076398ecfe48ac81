{{ incremental_by('response_id', 'int_changes_survey_responses') }}

with

responses as (
    select * from {{ ref('stg_cx__survey_responses') }}
    where {{ is_changed('response_id', ref('int_changes_survey_responses')) }}
),

scores as (
    select * from {{ ref('int_survey_responses_scored') }}
),

construct_scores as (
    select * from {{ ref('int_survey_construct_scores') }}
),

customers as (
    select * from {{ ref('stg_cx__customers') }}
),

touchpoints as (
    select * from {{ ref('stg_cx__journey_touchpoints') }}
),

joined as (
    select
        responses.response_id,
        responses.survey_id,
        responses.survey_kind,
        responses.customer_id,
        responses.contact_id,
        responses.channel,
        responses.touchpoint_id,
        coalesce(responses.journey_stage, touchpoints.journey_stage, 'unknown') as journey_stage,
        coalesce(customers.customer_segment, 'unknown') as customer_segment,
        coalesce(customers.customer_region, 'unknown') as customer_region,
        responses.response_language,
        responses.sent_at,
        responses.answered_at,
        {{ reporting_date('responses.answered_at') }} as answered_date,
        scores.nps_score,
        scores.csat_score,
        scores.csat_answer_value,
        scores.csat_scale_min,
        scores.csat_scale_max,
        scores.is_csat_satisfied,
        scores.is_csat_dissatisfied,
        scores.ces_score,
        scores.emotion,
        scores.emotion_intensity,
        scores.comment_text,
        {%- for measure, construct in cx_constructs() %}
        construct_scores.{{ measure }}_{{ construct }}_score{{ "," if not loop.last }}
        {%- endfor %}
    from responses
    left join scores
        on responses.response_id = scores.response_id
    left join construct_scores
        on responses.response_id = construct_scores.response_id
    left join customers
        on responses.customer_id = customers.customer_id
    left join touchpoints
        on responses.touchpoint_id = touchpoints.touchpoint_id
),

final as (
    select
        *,
        case
            when nps_score >= 9 then 'promoter'
            when nps_score >= 7 then 'passive'
            when nps_score >= 0 then 'detractor'
        end as nps_category,
        case when nps_score >= 9 then 1 when nps_score is not null then 0 end as is_promoter,
        case when nps_score between 7 and 8 then 1 when nps_score is not null then 0 end as is_passive,
        case when nps_score <= 6 then 1 when nps_score is not null then 0 end as is_detractor,
        case
            when ces_score >= {{ var('cx_ces_easy_min') }} then 1
            when ces_score is not null then 0
        end as is_ces_easy,
        comment_text is not null as has_comment
    from joined
)

select * from final
