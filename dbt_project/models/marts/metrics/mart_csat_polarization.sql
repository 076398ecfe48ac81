{#- Where CSAT splits customers: per channel x touchpoint, the spread of the answers and a
    polarized flag (DOMAIN.md: polarized experiences are salient; high standard deviation of CSAT). -#}
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where csat_score is not null
),

touchpoints as (
    select * from {{ ref('stg_cx__journey_touchpoints') }}
),

distribution as (
    select
        channel,
        coalesce(touchpoint_id, 'unknown') as touchpoint_id,
        count(*) as responses,
        cast(sum(case when csat_score = 1 then 1 else 0 end) as bigint) as csat_1_responses,
        cast(sum(case when csat_score = 2 then 1 else 0 end) as bigint) as csat_2_responses,
        cast(sum(case when csat_score = 3 then 1 else 0 end) as bigint) as csat_3_responses,
        cast(sum(case when csat_score = 4 then 1 else 0 end) as bigint) as csat_4_responses,
        cast(sum(case when csat_score = 5 then 1 else 0 end) as bigint) as csat_5_responses,
        cast(sum(csat_score) as bigint) as csat_score_sum,
        cast(sum(csat_score * csat_score) as bigint) as csat_score_sum_of_squares,
        min(answered_date) as first_answered_date,
        max(answered_date) as last_answered_date
    from responses
    group by 1, 2
),

spread as (
    select
        *,
        csat_1_responses + csat_5_responses as extreme_responses,
        csat_1_responses + csat_2_responses as low_responses,
        csat_4_responses + csat_5_responses as high_responses,
        {{ safe_ratio('csat_score_sum', 'responses') }} as csat_mean,
        {#- Sample standard deviation from the additive sums; null for a single answer. -#}
        case
            when responses > 1 then sqrt(greatest(
                (csat_score_sum_of_squares - cast(csat_score_sum as double) * csat_score_sum / responses)
                / (responses - 1), 0))
        end as csat_stddev
    from distribution
),

final as (
    select
        spread.channel,
        spread.touchpoint_id,
        coalesce(touchpoints.touchpoint_name, 'Unknown touchpoint') as touchpoint_name,
        coalesce(touchpoints.journey_stage, 'unknown') as journey_stage,
        spread.first_answered_date,
        spread.last_answered_date,
        spread.responses,
        spread.csat_1_responses,
        spread.csat_2_responses,
        spread.csat_3_responses,
        spread.csat_4_responses,
        spread.csat_5_responses,
        spread.csat_score_sum,
        spread.csat_score_sum_of_squares,
        spread.extreme_responses,
        spread.low_responses,
        spread.high_responses,
        spread.csat_mean,
        spread.csat_stddev,
        {{ safe_ratio('spread.extreme_responses', 'spread.responses', 100) }} as extreme_share_pct,
        {{ safe_ratio('spread.low_responses', 'spread.responses', 100) }} as low_share_pct,
        {{ safe_ratio('spread.high_responses', 'spread.responses', 100) }} as high_share_pct,
        coalesce(
            spread.responses >= {{ var('cx_polarization_min_responses') }}
            and spread.csat_stddev >= {{ var('cx_polarization_min_stddev') }}
            and {{ safe_ratio('spread.low_responses', 'spread.responses', 100) }} >= {{ var('cx_polarization_min_tail_pct') }}
            and {{ safe_ratio('spread.high_responses', 'spread.responses', 100) }} >= {{ var('cx_polarization_min_tail_pct') }},
            false
        ) as is_polarized
    from spread
    left join touchpoints
        on spread.touchpoint_id = touchpoints.touchpoint_id
)

select * from final
