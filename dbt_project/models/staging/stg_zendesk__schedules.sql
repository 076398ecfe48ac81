{#- One row per landed Zendesk business-hours schedule, its id prefixed so it cannot collide with
    the seeds' schedule ids. Builds empty where Zendesk is not configured. -#}

with

schedules as (
    {{ optional_source_columns('zendesk', 'schedules', {'id': 'bigint', 'name': 'text', 'time_zone': 'text'}) }}
),

final as (
    select
        'zendesk_' || cast(id as {{ dbt.type_string() }}) as schedule_id,
        id as zendesk_schedule_id,
        name as schedule_name,
        time_zone as zendesk_time_zone
    from schedules
)

select * from final
