{#- Rows where a condition across columns is false (null passes, like dbt_utils); hub packages are out of reach, so it lives here. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
