{#- The failing rows are kept (dbt prints where) so the report shows each schedule and what to do. -#}
{{ config(severity='error', store_failures=target.type != 'spark', meta={'dagster': {'ref': {'name': 'stg_zendesk__schedules'}}}) }}
{#- Every landed Zendesk schedule's time zone has its IANA name in seed zendesk_time_zones; a
    schedule without one is left out of the business clock, so this fails and says what to add. -#}
select
    zendesk_schedules.schedule_id,
    zendesk_schedules.zendesk_time_zone,
    'add a row to dbt_project/seeds/zendesk_time_zones.csv mapping "' || zendesk_schedules.zendesk_time_zone
        || '" to its IANA name (e.g. Europe/Warsaw), then run dbt seed and build again' as what_to_do
from {{ ref('stg_zendesk__schedules') }} as zendesk_schedules
left join {{ ref('zendesk_time_zones') }} as zendesk_time_zones
    on zendesk_schedules.zendesk_time_zone = zendesk_time_zones.zendesk_time_zone
where zendesk_time_zones.time_zone is null
