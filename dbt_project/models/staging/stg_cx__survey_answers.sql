with

source as (
    select * from {{ source('raw', 'survey_answers') }}
),

renamed as (
    select
        response_id,
        question_id,
        answer_value,
        answer_text
    from source
    {{ latest_version('response_id, question_id') }}
)

select * from renamed
