{%- set key_columns = ['response_id'] %}
{{ newest_versions_by(key_columns) }}

with

source as (
    select * from {{ source('raw', 'survey_responses') }}
    {{ loaded_since_last_build(source('raw', 'survey_responses'), key_columns) }}
),

renamed as (
    select
        response_id,
        survey_id,
        survey_kind,
        customer_id,
        contact_id,
        channel,
        touchpoint_id,
        journey_stage,
        language as response_language,
        sent_at,
        answered_at,
        _loaded_at as loaded_at
    from source
    {{ latest_version(key_columns | join(', ')) }}
)

select * from renamed
