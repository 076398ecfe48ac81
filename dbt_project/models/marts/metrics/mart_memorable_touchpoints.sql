{#- Which touchpoints' immediate scores predict loyalty, and which need the delayed survey:
    per touchpoint (and for all together), how each score relates to staying. -#}
with

moments as (
    select * from {{ ref('mart_memorable_experiences') }}
),

scoped as (
    select 'touchpoint' as scope, touchpoint_id, touchpoint_name, journey_stage,
        immediate_nps_score, immediate_nps_category, delayed_nps_score, delayed_nps_category, is_churned_after_delayed_survey
    from moments
    union all
    select 'all' as scope, 'all' as touchpoint_id, 'All touchpoints' as touchpoint_name, 'all' as journey_stage,
        immediate_nps_score, immediate_nps_category, delayed_nps_score, delayed_nps_category, is_churned_after_delayed_survey
    from moments
),

summarised as (
    select
        scope,
        touchpoint_id,
        touchpoint_name,
        journey_stage,
        count(*) as key_moments,
        cast(sum(case when is_churned_after_delayed_survey then 1 else 0 end) as bigint) as churned_customers,
        cast(sum(case when immediate_nps_category = 'detractor' then 1 else 0 end) as bigint)
            as immediate_detractors,
        cast(sum(case when immediate_nps_category = 'detractor' and is_churned_after_delayed_survey then 1 else 0 end)
            as bigint) as immediate_detractors_churned,
        cast(sum(case when delayed_nps_category = 'detractor' then 1 else 0 end) as bigint) as delayed_detractors,
        cast(sum(case when delayed_nps_category = 'detractor' and is_churned_after_delayed_survey then 1 else 0 end)
            as bigint) as delayed_detractors_churned,
        avg(immediate_nps_score) as immediate_nps_score_mean,
        avg(delayed_nps_score) as delayed_nps_score_mean,
        {#- Point-biserial correlation of each score with staying (1) vs churning (0). -#}
        corr(immediate_nps_score, case when is_churned_after_delayed_survey then 0.0 else 1.0 end)
            as immediate_score_retention_correlation,
        corr(delayed_nps_score, case when is_churned_after_delayed_survey then 0.0 else 1.0 end)
            as delayed_score_retention_correlation,
        count(immediate_nps_score) as immediate_nps_responses,
        count(delayed_nps_score) as delayed_nps_responses
    from scoped
    group by 1, 2, 3, 4
),

tested as (
    select
        *,
        {#- t = r sqrt((n - 2) / (1 - r^2)); significant (approx. 95%, normal) when t >= 1.96. -#}
        key_moments >= {{ var('cx_memorable_min_moments') }}
            and churned_customers >= {{ var('cx_memorable_min_churners') }}
            and key_moments - churned_customers >= {{ var('cx_memorable_min_churners') }} as has_enough_moments,
        coalesce(immediate_score_retention_correlation > 0
            and immediate_score_retention_correlation * sqrt((immediate_nps_responses - 2)
                / greatest(1 - immediate_score_retention_correlation * immediate_score_retention_correlation, 1e-12))
                >= 1.96, false) as immediate_score_predicts_retention,
        coalesce(delayed_score_retention_correlation > 0
            and delayed_score_retention_correlation * sqrt((delayed_nps_responses - 2)
                / greatest(1 - delayed_score_retention_correlation * delayed_score_retention_correlation, 1e-12))
                >= 1.96, false) as delayed_score_predicts_retention
    from summarised
),

final as (
    select
        scope,
        touchpoint_id,
        touchpoint_name,
        journey_stage,
        key_moments,
        churned_customers,
        immediate_detractors,
        immediate_detractors_churned,
        delayed_detractors,
        delayed_detractors_churned,
        immediate_nps_responses,
        delayed_nps_responses,
        immediate_nps_score_mean,
        delayed_nps_score_mean,
        {{ safe_ratio('churned_customers', 'key_moments', 100) }} as churn_rate_pct,
        {{ safe_ratio('immediate_detractors_churned', 'immediate_detractors', 100) }}
            as immediate_detractor_churn_rate_pct,
        {{ safe_ratio('delayed_detractors_churned', 'delayed_detractors', 100) }} as delayed_detractor_churn_rate_pct,
        immediate_score_retention_correlation,
        delayed_score_retention_correlation,
        has_enough_moments,
        case when has_enough_moments then immediate_score_predicts_retention end as immediate_score_predicts_retention,
        case when has_enough_moments then delayed_score_predicts_retention end as delayed_score_predicts_retention,
        case
            when not has_enough_moments then 'too few moments or churners'
            when immediate_score_predicts_retention and delayed_score_predicts_retention
                then case
                    when delayed_score_retention_correlation > immediate_score_retention_correlation then 'delayed'
                    else 'immediate'
                end
            when delayed_score_predicts_retention then 'delayed'
            when immediate_score_predicts_retention then 'immediate'
            else 'neither'
        end as better_predictor
    from tested
)

select * from final
