{{ incremental_by('response_id', 'int_changes_survey_responses') }}

with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where {{ is_changed('response_id', ref('int_changes_survey_responses')) }}
),

headline_answers as (
    select
        response_id,
        max(case when measure = 'nps' then answer_value end) as nps_score,
        max(case when measure = 'csat' then answer_value end) as csat_score,
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

final as (
    select
        response_id,
        cast(nps_score as integer) as nps_score,
        cast(csat_score as integer) as csat_score,
        cast(ces_score as integer) as ces_score,
        emotion,
        cast(emotion_intensity as integer) as emotion_intensity,
        comment_text,
        nps_answers,
        csat_answers,
        ces_answers,
        emotion_answers,
        comment_answers
    from headline_answers
)

select * from final
