{{ incremental_by('response_id', 'int_changes_survey_responses') }}

with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where {{ is_changed('response_id', ref('int_changes_survey_responses')) }}
),

construct_scores as (
    {#- The mean skips nulls: a construct none of whose items was answered stays null, never 0. It is
        exact (exact_score_mean), so a backfill gives the same bits as the full build. #}
    select
        response_id,
        {%- for measure, construct in cx_constructs() %}
        {{ exact_score_mean(
            "case when measure = '" ~ measure ~ "' and construct = '" ~ construct ~ "' then construct_item_score end"
        ) }} as {{ measure }}_{{ construct }}_score{{ "," if not loop.last }}
        {%- endfor %}
    from answers
    group by response_id
),

final as (
    select * from construct_scores
)

select * from final
