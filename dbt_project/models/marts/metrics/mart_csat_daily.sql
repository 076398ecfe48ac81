{{ incremental_by('date_day', 'int_changes_survey_responses', ['answered_date', 'previous_answered_date']) }}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where csat_score is not null
        and {{ is_changed('answered_date', ref('int_changes_survey_responses'), ['answered_date', 'previous_answered_date']) }}
),

daily as (
    select
        answered_date as date_day,
        channel,
        customer_segment,
        journey_stage,
        count(*) as responses,
        cast(sum(is_csat_satisfied) as bigint) as satisfied_responses,
        cast(sum(csat_score) as bigint) as csat_score_sum,
        cast(sum(csat_score * csat_score) as bigint) as csat_score_sum_of_squares
    from responses
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        {{ safe_ratio('satisfied_responses', 'responses', 100) }} as csat_pct,
        {{ safe_ratio('csat_score_sum', 'responses') }} as csat_mean
    from daily
)

select * from final
