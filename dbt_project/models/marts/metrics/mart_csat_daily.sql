{{ incremental_by('date_day', 'int_changes_survey_responses', ['answered_date', 'previous_answered_date']) }}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where csat_answer_value is not null
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
        {#- The mean is of 1-5 answers only: a 2- or 10-point answer is not a point of 1-5. -#}
        count(csat_score) as five_point_responses,
        cast(coalesce(sum(csat_score), 0) as bigint) as csat_score_sum,
        cast(coalesce(sum(csat_score * csat_score), 0) as bigint) as csat_score_sum_of_squares
    from responses
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        {{ safe_ratio('satisfied_responses', 'responses', 100) }} as csat_pct,
        {{ safe_ratio('csat_score_sum', 'five_point_responses') }} as csat_mean
    from daily
)

select * from final
