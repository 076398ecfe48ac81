{{ incremental_by('date_day', 'int_changes_survey_responses', ['answered_date', 'previous_answered_date']) }}

with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where ces_score is not null
        and {{ is_changed('answered_date', ref('int_changes_survey_responses'), ['answered_date', 'previous_answered_date']) }}
),

daily as (
    select
        answered_date as date_day,
        channel,
        customer_segment,
        journey_stage,
        count(*) as responses,
        cast(sum(is_ces_easy) as bigint) as easy_responses,
        cast(sum(case when ces_score <= 3 then 1 else 0 end) as bigint) as difficult_responses,
        cast(sum(ces_score) as bigint) as ces_score_sum
    from responses
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        {{ safe_ratio('ces_score_sum', 'responses') }} as ces_mean,
        {{ safe_ratio('easy_responses', 'responses', 100) }} as ces_easy_pct
    from daily
)

select * from final
