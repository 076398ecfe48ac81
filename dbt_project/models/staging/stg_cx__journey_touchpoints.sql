with

source as (
    select * from {{ source('raw', 'journey_touchpoints') }}
),

renamed as (
    select
        touchpoint_id,
        touchpoint_name,
        journey_stage,
        stage_order as journey_stage_order,
        channel as touchpoint_channel,
        description as touchpoint_description
    from source
    {{ latest_version('touchpoint_id') }}
)

select * from renamed
