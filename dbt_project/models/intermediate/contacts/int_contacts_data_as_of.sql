{#- The moment the contact data describes: what is still open is measured up to here, so a
    re-run on the same data gives the same numbers (never the wall clock of the run). -#}
with

contacts as (
    select * from {{ ref('stg_cx__contacts') }}
),

status_changes as (
    select * from {{ ref('stg_cx__contact_status_changes') }}
),

messages as (
    select * from {{ ref('stg_cx__contact_messages') }}
),

observed as (
    select max(greatest(
        created_at,
        coalesce(queue_entered_at, created_at),
        coalesce(first_replied_at, created_at),
        coalesce(resolved_at, created_at),
        coalesce(closed_at, created_at)
    )) as observed_at, min(created_at) as first_created_at
    from contacts
    union all
    select max(changed_at), min(changed_at) from status_changes
    union all
    select max(sent_at), min(sent_at) from messages
),

final as (
    select
        {% if var('cx_as_of_timestamp') %}
        cast('{{ var("cx_as_of_timestamp") }}' as timestamptz) as as_of_at,
        {% else %}
        max(observed_at) as as_of_at,
        {% endif %}
        min(first_created_at) as first_created_at
    from observed
    -- No contact data (a deployment of surveys only): no moment, so no row.
    having max(observed_at) is not null
)

select * from final
