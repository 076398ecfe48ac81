{{ config(severity='error') }}
{#- Exactly one schedule may be the default: queues without an assignment work on it. -#}
select count(*) as default_schedules
from {{ ref('business_schedules') }}
where is_default
having count(*) <> 1
