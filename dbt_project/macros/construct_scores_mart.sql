{#- One row per month x segment x channel x journey stage x construct of one framework
    (measure 'force' or 'pillar'): n, sum and sum of squares (additive, for exact roll-ups),
    mean, sample standard deviation and a normal-approximation 95% confidence interval.
    Responses that did not rate a construct are not in its n. -#}
{% macro construct_scores_mart(measure) -%}
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
),

scores as (
    {%- for framework, construct in cx_constructs() if framework == measure %}
    select
        cast(date_trunc('month', answered_date) as date) as month_start_date,
        customer_segment,
        channel,
        journey_stage,
        '{{ construct }}' as {{ measure }},
        {{ framework }}_{{ construct }}_score as score
    from responses
    where {{ framework }}_{{ construct }}_score is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

aggregated as (
    select
        month_start_date,
        customer_segment,
        channel,
        journey_stage,
        {{ measure }},
        count(*) as responses,
        sum(score) as score_sum,
        sum(score * score) as score_sum_of_squares,
        avg(score) as score_mean,
        stddev_samp(score) as score_stddev
    from scores
    group by 1, 2, 3, 4, 5
),

final as (
    select
        *,
        score_mean - 1.96 * score_stddev / sqrt(responses) as score_ci_lower_95,
        score_mean + 1.96 * score_stddev / sqrt(responses) as score_ci_upper_95
    from aggregated
)
{%- endmacro %}
