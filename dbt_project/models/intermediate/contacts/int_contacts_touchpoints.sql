{#- The journey touchpoint a contact happens at. The raw contract has no touchpoint on a contact,
    so it comes from the catalog: the touchpoint of the contact's channel in the renewal stage
    for retention queues (var cx_retention_queues), else in the support stage. A contact whose
    channel has no such touchpoint keeps a null touchpoint (and counts as unmapped). -#}
with

contacts as (
    select * from {{ ref('stg_cx__contacts') }}
),

touchpoints as (
    select * from {{ ref('stg_cx__journey_touchpoints') }}
),

wanted_stages as (
    select
        contact_id,
        channel,
        case
            when queue in ({{ "'" ~ var('cx_retention_queues') | join("', '") ~ "'" }}) then 'renewal'
            else 'support'
        end as wanted_stage
    from contacts
),

candidates as (
    select
        wanted_stages.contact_id,
        touchpoints.touchpoint_id,
        touchpoints.journey_stage,
        row_number() over (
            partition by wanted_stages.contact_id
            order by
                case when touchpoints.journey_stage = wanted_stages.wanted_stage then 0 else 1 end,
                touchpoints.touchpoint_id
        ) as preference
    from wanted_stages
    inner join touchpoints
        on touchpoints.touchpoint_channel = wanted_stages.channel
        and touchpoints.journey_stage in (wanted_stages.wanted_stage, 'support')
),

final as (
    select
        contacts.contact_id,
        candidates.touchpoint_id,
        candidates.journey_stage
    from contacts
    left join candidates
        on contacts.contact_id = candidates.contact_id
        and candidates.preference = 1
)

select * from final
