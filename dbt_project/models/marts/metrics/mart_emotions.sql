{#- Plutchik's eight emotions per channel x touchpoint: how often each was felt and how
    strongly, the group's valence index, and the NPS of those who felt each emotion. Every
    group with an emotion answer gets all eight rows (zeros included), so shares add up. -#}
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where emotion is not null
),

emotions as (
    select * from {{ ref('emotions') }}
),

touchpoints as (
    select * from {{ ref('stg_cx__journey_touchpoints') }}
),

groups as (
    select
        channel,
        coalesce(touchpoint_id, 'unknown') as touchpoint_id,
        count(*) as emotion_responses_in_group,
        {#- Valence index: intensity-weighted balance of positive over negative emotions, -100..100. -#}
        {{ safe_ratio('sum(emotions.valence * responses.emotion_intensity)', 'sum(responses.emotion_intensity)', 100) }}
            as valence_index
    from responses
    inner join emotions
        on responses.emotion = emotions.emotion
    group by 1, 2
),

felt as (
    select
        channel,
        coalesce(touchpoint_id, 'unknown') as touchpoint_id,
        emotion,
        count(*) as emotion_responses,
        cast(sum(case when emotion_intensity = 1 then 1 else 0 end) as bigint) as mild_responses,
        cast(sum(case when emotion_intensity = 2 then 1 else 0 end) as bigint) as basic_responses,
        cast(sum(case when emotion_intensity = 3 then 1 else 0 end) as bigint) as strong_responses,
        cast(sum(emotion_intensity) as bigint) as intensity_sum,
        count(nps_score) as nps_responses,
        cast(sum(nps_score) as bigint) as nps_score_sum,
        cast(sum(is_promoter) as bigint) as promoters,
        cast(sum(is_detractor) as bigint) as detractors
    from responses
    group by 1, 2, 3
),

grid as (
    select
        groups.channel,
        groups.touchpoint_id,
        groups.emotion_responses_in_group,
        groups.valence_index,
        emotions.emotion,
        emotions.mild_name,
        emotions.strong_name,
        emotions.valence,
        emotions.wheel_position
    from groups
    cross join emotions
),

final as (
    select
        grid.channel,
        grid.touchpoint_id,
        coalesce(touchpoints.touchpoint_name, 'Unknown touchpoint') as touchpoint_name,
        coalesce(touchpoints.journey_stage, 'unknown') as journey_stage,
        grid.emotion,
        grid.mild_name,
        grid.strong_name,
        grid.valence,
        grid.wheel_position,
        grid.emotion_responses_in_group,
        coalesce(felt.emotion_responses, 0) as emotion_responses,
        coalesce(felt.mild_responses, 0) as mild_responses,
        coalesce(felt.basic_responses, 0) as basic_responses,
        coalesce(felt.strong_responses, 0) as strong_responses,
        coalesce(felt.intensity_sum, 0) as intensity_sum,
        coalesce(felt.nps_responses, 0) as nps_responses,
        felt.nps_score_sum,
        coalesce(felt.promoters, 0) as promoters,
        coalesce(felt.detractors, 0) as detractors,
        {{ safe_ratio('coalesce(felt.emotion_responses, 0)', 'grid.emotion_responses_in_group', 100) }}
            as emotion_share_pct,
        {{ safe_ratio('felt.intensity_sum', 'felt.emotion_responses') }} as mean_intensity,
        {{ safe_ratio('felt.nps_score_sum', 'felt.nps_responses') }} as avg_nps_score,
        {{ safe_ratio('felt.promoters - felt.detractors', 'felt.nps_responses', 100) }} as nps,
        grid.valence_index
    from grid
    left join felt
        on grid.channel = felt.channel
        and grid.touchpoint_id = felt.touchpoint_id
        and grid.emotion = felt.emotion
    left join touchpoints
        on grid.touchpoint_id = touchpoints.touchpoint_id
)

select * from final
