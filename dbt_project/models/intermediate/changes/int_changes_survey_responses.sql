{#- The survey responses this run recomputes, with their reporting dates before and after. A
    response is recomputed when a raw row loaded since the last recorded build touches it (its
    own version or any of its answers, in any version), when its customer changed, or when a
    backfill names its answer date. A new question catalog or journey map changes how every
    answer scores or files, so then every response is recomputed. -#}
{%- set previous_responses = previous_version_of('fct_survey_responses') %}
with

builds as (
    select {{ last_build_load_id() }} as after_load_id
),

raw_responses as (
    select response_id, _load_id from {{ source('raw', 'survey_responses') }}
),

raw_answers as (
    select response_id, _load_id from {{ source('raw', 'survey_answers') }}
),

raw_customers as (
    select customer_id, _load_id from {{ source('raw', 'customers') }}
),

reference_changes as (
    select count(*) as touched_rows
    from (
        select _load_id from {{ source('raw', 'questions') }}
        union all
        select _load_id from {{ source('raw', 'journey_touchpoints') }}
    ) as reference_rows
    where _load_id > (select after_load_id from builds)
),

responses as (
    select response_id, customer_id, {{ reporting_date('answered_at') }} as answered_date
    from {{ ref('stg_cx__survey_responses') }}
),

{#- Answers are keyed (response_id, question_id): a touched answer always names its response. -#}
touched_responses as (
    select response_id from raw_responses
    where _load_id > (select after_load_id from builds)
    union
    select response_id from raw_answers
    where _load_id > (select after_load_id from builds)
),

touched_customers as (
    select customer_id from raw_customers
    where _load_id > (select after_load_id from builds)
),

{% if previous_responses is not none %}
previous_dates as (
    select response_id, answered_date from {{ previous_responses }}
),
{% endif %}

changed as (
    select responses.response_id
    from responses
    where responses.response_id in (select response_id from touched_responses)
        or responses.customer_id in (select customer_id from touched_customers)
        or (select touched_rows from reference_changes) > 0
        or {{ in_rebuild_range('responses.answered_date') }}
),

final as (
    select
        changed.response_id,
        responses.answered_date,
        {% if previous_responses is not none -%}
        previous_dates.answered_date
        {%- else -%}
        cast(null as date)
        {%- endif %} as previous_answered_date
    from changed
    inner join responses
        on changed.response_id = responses.response_id
    {%- if previous_responses is not none %}
    left join previous_dates
        on changed.response_id = previous_dates.response_id
    {%- endif %}
)

select * from final
{%- if flags.FULL_REFRESH %}
-- A full refresh rebuilds every model from all rows and reads no changes: skip the work.
where false
{%- endif %}
