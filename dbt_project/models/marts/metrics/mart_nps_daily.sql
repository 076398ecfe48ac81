{{ incremental_by('date_day', 'int_changes_survey_responses', ['answered_date', 'previous_answered_date']) }}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where nps_score is not null
        and {{ is_changed('answered_date', ref('int_changes_survey_responses'), ['answered_date', 'previous_answered_date']) }}
),

daily as (
    select
        answered_date as date_day,
        channel,
        customer_segment,
        journey_stage,
        count(*) as responses,
        cast(sum(is_promoter) as bigint) as promoters,
        cast(sum(is_passive) as bigint) as passives,
        cast(sum(is_detractor) as bigint) as detractors,
        cast(sum(nps_score) as bigint) as nps_score_sum
    from responses
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        {{ safe_ratio('promoters - detractors', 'responses', 100) }} as nps,
        {{ safe_ratio('promoters', 'responses', 100) }} as promoter_pct,
        {{ safe_ratio('detractors', 'responses', 100) }} as detractor_pct
    from daily
)

select * from final
