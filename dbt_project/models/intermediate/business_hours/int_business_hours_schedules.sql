{#- Every business-hours schedule the project knows: the seed's and Zendesk's (where landed), the
    latter with its time zone named the IANA way (seed zendesk_time_zones). A Zendesk schedule
    whose zone name the seed lacks is left out here and fails the test
    assert_zendesk_time_zones_known, which says what to add: a zone is never guessed. -#}
with

seeded as (
    select * from {{ ref('business_schedules') }}
),

zendesk_schedules as (
    select * from {{ ref('stg_zendesk__schedules') }}
),

zendesk_time_zones as (
    select * from {{ ref('zendesk_time_zones') }}
),

zendesk_named as (
    select
        zendesk_schedules.schedule_id,
        zendesk_schedules.schedule_name,
        zendesk_time_zones.time_zone,
        false as is_default
    from zendesk_schedules
    inner join zendesk_time_zones
        on zendesk_schedules.zendesk_time_zone = zendesk_time_zones.zendesk_time_zone
),

final as (
    select schedule_id, schedule_name, time_zone, is_default, 'seed' as schedule_source from seeded
    union all
    select schedule_id, schedule_name, time_zone, is_default, 'zendesk' as schedule_source from zendesk_named
)

select * from final
