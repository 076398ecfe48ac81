-- The floor: the headline daily marts computed by hand, in one pass, straight from the raw
-- files (data/README.md is the contract). What the pipeline does on top of this (validation
-- and quarantine, lineage, staging, facts, every other mart, dbt tests, GX checks, the
-- published copy, the report) is what the pipeline / floor ratio pays for.
--
-- Reads the folder named by the variable `data_dir`:
--   duckdb floor.duckdb -c "set variable data_dir = 'benchmarks/work/M/data'" -f benchmarks/floor.sql
-- Writes two tables: floor_survey_daily (date x channel x segment x journey stage) and
-- floor_contact_center_daily (date x channel x queue). Same rules as the dbt marts:
-- reporting dates in UTC, the newest version of a key wins (later file, later row),
-- CSAT satisfied = 4-5, CES easy = 5-7, service level = answered within 20 s of queueing,
-- a contact's first reply from its messages where it has any (its own field otherwise).

set TimeZone = 'UTC';

create or replace table floor_survey_daily as
with

customers as (
    select customer_id, segment
    from read_csv(getvariable('data_dir') || '/customers/*.csv', header = true,
                  filename = true, types = {'customer_id': 'varchar', 'segment': 'varchar'})
    qualify row_number() over (partition by customer_id order by filename desc) = 1
),

touchpoints as (
    select touchpoint_id, journey_stage
    from read_csv(getvariable('data_dir') || '/journey_touchpoints/*.csv', header = true,
                  types = {'touchpoint_id': 'varchar', 'journey_stage': 'varchar'})
),

questions as (
    select question_id, measure
    from read_csv(getvariable('data_dir') || '/questions/*.csv', header = true,
                  types = {'question_id': 'varchar', 'measure': 'varchar'})
    where measure in ('nps', 'csat', 'ces')
),

responses as (
    select response_id, channel, customer_id, touchpoint_id, journey_stage,
           cast(answered_at as date) as date_day
    from read_csv(getvariable('data_dir') || '/survey_responses/*.csv', header = true,
                  filename = true, types = {'answered_at': 'timestamptz', 'journey_stage': 'varchar'})
    qualify row_number() over (partition by response_id order by filename desc) = 1
),

headline_answers as (
    select
        answers.response_id,
        max(case when questions.measure = 'nps' then answers.answer_value end) as nps_score,
        max(case when questions.measure = 'csat' then answers.answer_value end) as csat_score,
        max(case when questions.measure = 'ces' then answers.answer_value end) as ces_score
    from read_parquet(getvariable('data_dir') || '/survey_answers/*.parquet') as answers
    join questions
        on answers.question_id = questions.question_id
    group by answers.response_id
),

final as (
    select
        responses.date_day,
        responses.channel,
        coalesce(customers.segment, 'unknown') as customer_segment,
        coalesce(responses.journey_stage, touchpoints.journey_stage, 'unknown') as journey_stage,
        count(nps_score) as nps_responses,
        count(*) filter (where nps_score >= 9) as promoters,
        count(*) filter (where nps_score between 7 and 8) as passives,
        count(*) filter (where nps_score <= 6) as detractors,
        cast(sum(nps_score) as bigint) as nps_score_sum,
        count(csat_score) as csat_responses,
        count(*) filter (where csat_score >= 4) as csat_satisfied,
        cast(sum(csat_score) as bigint) as csat_score_sum,
        count(ces_score) as ces_responses,
        count(*) filter (where ces_score >= 5) as ces_easy,
        cast(sum(ces_score) as bigint) as ces_score_sum
    from responses
    join headline_answers
        on responses.response_id = headline_answers.response_id
    left join customers
        on responses.customer_id = customers.customer_id
    left join touchpoints
        on responses.touchpoint_id = touchpoints.touchpoint_id
    group by all
)

select * from final;

create or replace table floor_contact_center_daily as
with

contacts as (
    select contact_id, channel, queue, created_at, queue_entered_at, first_replied_at, is_abandoned,
           talk_seconds, hold_seconds, after_contact_work_seconds
    from read_csv(getvariable('data_dir') || '/contacts/*.csv', header = true, filename = true,
                  types = {'created_at': 'timestamptz', 'queue_entered_at': 'timestamptz',
                           'first_replied_at': 'timestamptz', 'is_abandoned': 'boolean',
                           'talk_seconds': 'bigint', 'hold_seconds': 'bigint',
                           'after_contact_work_seconds': 'bigint', 'agent_id': 'varchar'})
    qualify row_number() over (partition by contact_id order by filename desc) = 1
),

messages as (
    select contact_id, author_role, is_public, cast(sent_at as timestamptz) as sent_at
    from read_parquet(getvariable('data_dir') || '/contact_messages/*.parquet', filename = true)
    qualify row_number() over (partition by message_id order by filename desc) = 1
),

first_replies as (
    -- The events win: a contact with messages was first answered by its first public human-agent message.
    select contact_id, min(sent_at) filter (where author_role = 'agent' and is_public) as first_agent_reply_at
    from messages
    group by contact_id
),

replied as (
    select
        contacts.*,
        case when first_replies.contact_id is not null then first_replies.first_agent_reply_at
             else contacts.first_replied_at end as replied_at
    from contacts
    left join first_replies using (contact_id)
),

measured as (
    select
        cast(created_at as date) as date_day,
        channel,
        queue,
        queue_entered_at is not null as is_offered,
        is_abandoned,
        not is_abandoned and replied_at is not null as is_handled,
        coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(after_contact_work_seconds, 0)
            as handle_seconds,
        epoch(replied_at) - epoch(queue_entered_at) as queue_wait_seconds
    from replied
),

final as (
    select
        date_day,
        channel,
        queue,
        count(*) as contacts_created,
        count(*) filter (where is_offered) as contacts_offered,
        count(*) filter (where is_offered and is_abandoned) as contacts_abandoned,
        count(*) filter (where is_handled) as contacts_handled,
        cast(coalesce(sum(handle_seconds) filter (where is_handled), 0) as bigint) as handle_seconds_sum,
        count(*) filter (where is_offered and is_handled and queue_wait_seconds <= 20)
            as contacts_answered_within_service_level
    from measured
    group by all
)

select * from final;
