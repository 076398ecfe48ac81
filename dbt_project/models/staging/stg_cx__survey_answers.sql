{%- set key_columns = ['response_id', 'question_id'] %}
{{ newest_versions_by(key_columns) }}

with

source as (
    select * from {{ source('raw', 'survey_answers') }}
    {{ loaded_since_last_build(source('raw', 'survey_answers'), key_columns) }}
),

renamed as (
    select
        response_id,
        question_id,
        answer_value,
        answer_text
    from source
    {{ latest_version(key_columns | join(', ')) }}
)

select * from renamed
