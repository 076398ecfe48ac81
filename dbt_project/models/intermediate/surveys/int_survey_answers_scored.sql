{{ incremental_by('response_id', 'int_changes_survey_responses') }}

with

answers as (
    select * from {{ ref('stg_cx__survey_answers') }}
    where {{ is_changed('response_id', ref('int_changes_survey_responses')) }}
),

questions as (
    select * from {{ ref('stg_cx__questions') }}
),

scored as (
    select
        answers.response_id,
        answers.question_id,
        questions.measure,
        questions.construct,
        questions.scale_min,
        questions.scale_max,
        questions.is_reverse_coded,
        answers.answer_value,
        answers.answer_text,
        case
            when questions.measure in ('force', 'pillar') and answers.answer_value is not null
                then {{ rescale_to_100(
                    'answers.answer_value', 'questions.scale_min', 'questions.scale_max',
                    'questions.is_reverse_coded') }}
        end as construct_item_score
    from answers
    left join questions
        on answers.question_id = questions.question_id
),

final as (
    select * from scored
)

select * from final
