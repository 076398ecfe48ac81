{#- NPS per month with its uncertainty (adjusted-Wald, DOMAIN.md) and the change versus the
    previous calendar month. Two scopes: one row per month x channel, and one row per month
    for all channels together (channel = 'all'). -#}
with

responses as (
    select * from {{ ref('fct_survey_responses') }}
    where nps_score is not null
),

by_channel as (
    select
        cast(date_trunc('month', answered_date) as date) as month_start_date,
        'channel' as scope,
        channel,
        count(*) as responses,
        cast(sum(is_promoter) as bigint) as promoters,
        cast(sum(is_passive) as bigint) as passives,
        cast(sum(is_detractor) as bigint) as detractors
    from responses
    group by 1, 2, 3
),

all_channels as (
    select
        month_start_date,
        'all' as scope,
        'all' as channel,
        sum(responses) as responses,
        sum(promoters) as promoters,
        sum(passives) as passives,
        sum(detractors) as detractors
    from by_channel
    group by 1, 2, 3
),

monthly as (
    select * from by_channel
    union all
    select * from all_channels
),

adjusted as (
    select
        *,
        {{ safe_ratio('promoters - detractors', 'responses', 100) }} as nps,
        cast(promoters + 0.75 as double) / (responses + 3) as promoter_share_adjusted,
        cast(detractors + 0.75 as double) / (responses + 3) as detractor_share_adjusted
    from monthly
),

with_error as (
    select
        *,
        100 * (promoter_share_adjusted - detractor_share_adjusted) as nps_adjusted,
        100 * sqrt(
            (promoter_share_adjusted + detractor_share_adjusted
                - (promoter_share_adjusted - detractor_share_adjusted) * (promoter_share_adjusted - detractor_share_adjusted))
            / (responses + 3)
        ) as nps_standard_error
    from adjusted
),

with_previous as (
    select
        with_error.*,
        previous.nps as previous_nps,
        previous.nps_adjusted as previous_nps_adjusted,
        previous.nps_standard_error as previous_nps_standard_error,
        previous.responses as previous_responses
    from with_error
    left join with_error as previous
        on previous.scope = with_error.scope
        and previous.channel = with_error.channel
        and previous.month_start_date = {{ add_months('with_error.month_start_date', -1) }}
),

compared as (
    select
        *,
        (nps_adjusted - previous_nps_adjusted)
            / sqrt(nps_standard_error * nps_standard_error + previous_nps_standard_error * previous_nps_standard_error)
            as nps_change_z
    from with_previous
),

final as (
    select
        month_start_date,
        scope,
        channel,
        responses,
        promoters,
        passives,
        detractors,
        nps,
        nps_adjusted,
        nps_standard_error,
        1.96 * nps_standard_error as nps_margin_of_error_95,
        greatest(-100, nps_adjusted - 1.96 * nps_standard_error) as nps_ci_lower_95,
        least(100, nps_adjusted + 1.96 * nps_standard_error) as nps_ci_upper_95,
        previous_responses,
        previous_nps,
        nps - previous_nps as nps_change,
        nps_change_z,
        abs(nps_change_z) > 1.96 as is_change_significant_95
    from compared
)

select * from final
