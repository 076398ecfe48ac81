{#- Per contact with a message history: the first public reply by a human agent (bot replies
    and internal notes never stop the first-reply clock), how many public agent replies it
    took, and how many agents replied. -#}
{{ incremental_by('contact_id', 'int_changes_contacts') }}

with

messages as (
    select * from {{ ref('stg_cx__contact_messages') }}
    where {{ is_changed('contact_id', ref('int_changes_contacts')) }}
),

final as (
    select
        contact_id,
        min(case when author_role = 'agent' and is_public then sent_at end) as first_agent_reply_at,
        sum(case when author_role = 'agent' and is_public then 1 else 0 end) as agent_reply_count,
        count(distinct case when author_role = 'agent' and is_public then author_id end) as replying_agent_count,
        sum(case when author_role = 'bot' and is_public then 1 else 0 end) as bot_reply_count,
        sum(case when author_role = 'customer' then 1 else 0 end) as customer_message_count,
        sum(case when not is_public then 1 else 0 end) as internal_note_count
    from messages
    group by contact_id
)

select * from final
