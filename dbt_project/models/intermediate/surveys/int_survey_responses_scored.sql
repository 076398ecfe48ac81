{{ incremental_by('response_id', 'int_changes_survey_responses') }}

with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where {{ is_changed('response_id', ref('int_changes_survey_responses')) }}
),

csat_scales as (
    select * from {{ ref('csat_scales') }}
),

headline_answers as (
    select
        response_id,
        max(case when measure = 'nps' then answer_value end) as nps_score,
        max(case when measure = 'csat' then answer_value end) as csat_answer_value,
        max(case when measure = 'csat' then scale_min end) as csat_scale_min,
        max(case when measure = 'csat' then scale_max end) as csat_scale_max,
        max(case when measure = 'ces' then answer_value end) as ces_score,
        max(case when measure = 'emotion' then answer_text end) as emotion,
        max(case when measure = 'emotion' then answer_value end) as emotion_intensity,
        max(case when measure = 'comment' then answer_text end) as comment_text,
        sum(case when measure = 'nps' then 1 else 0 end) as nps_answers,
        sum(case when measure = 'csat' then 1 else 0 end) as csat_answers,
        sum(case when measure = 'ces' then 1 else 0 end) as ces_answers,
        sum(case when measure = 'emotion' then 1 else 0 end) as emotion_answers,
        sum(case when measure = 'comment' then 1 else 0 end) as comment_answers
    from answers
    group by response_id
),

csat_boxes as (
    {#- Top and bottom box on the answer's own scale (seed csat_scales); never converted to 1-5. -#}
    select
        headline_answers.*,
        csat_scales.satisfied_min as csat_satisfied_min,
        case
            when headline_answers.csat_answer_value >= csat_scales.satisfied_min then 1
            when csat_scales.satisfied_min is not null then 0
        end as is_csat_satisfied,
        case
            when headline_answers.csat_answer_value <= csat_scales.dissatisfied_max then 1
            when csat_scales.dissatisfied_max is not null then 0
        end as is_csat_dissatisfied
    from headline_answers
    left join csat_scales
        on headline_answers.csat_scale_min = csat_scales.scale_min
        and headline_answers.csat_scale_max = csat_scales.scale_max
),

final as (
    select
        response_id,
        cast(nps_score as integer) as nps_score,
        cast(case when csat_scale_min = 1 and csat_scale_max = 5 then csat_answer_value end as integer) as csat_score,
        cast(csat_answer_value as integer) as csat_answer_value,
        csat_scale_min,
        csat_scale_max,
        csat_satisfied_min,
        is_csat_satisfied,
        is_csat_dissatisfied,
        cast(ces_score as integer) as ces_score,
        emotion,
        cast(emotion_intensity as integer) as emotion_intensity,
        comment_text,
        nps_answers,
        csat_answers,
        ces_answers,
        emotion_answers,
        comment_answers
    from csat_boxes
)

select * from final
