with

source as (
    select * from {{ source('raw', 'questions') }}
),

renamed as (
    select
        question_id,
        question_text,
        measure,
        construct,
        scale_min,
        scale_max,
        is_reverse_coded
    from source
    {{ latest_version('question_id') }}
)

select * from renamed
