{#- One row per landed Zendesk holiday: a schedule closed from start_date to end_date, both
    included (local dates of the schedule). Builds empty where Zendesk is not configured. -#}

with

holidays as (
    {{ optional_source_columns('zendesk', 'schedule_holidays', {
        'schedule_id': 'bigint', 'id': 'bigint', 'name': 'text', 'start_date': 'date', 'end_date': 'date'}) }}
),

final as (
    select
        'zendesk_' || cast(schedule_id as {{ dbt.type_string() }}) as schedule_id,
        id as zendesk_holiday_id,
        name as holiday_name,
        start_date,
        end_date
    from holidays
)

select * from final
