{#- The business clock of a queue, or of a contact's own schedule (int_business_hours_queue_clock,
    keyed by business_clock_of): a contact's instant joins its piece, and the reading is the
    working minutes of that calendar up to it.
    Business minutes between two instants = reading(end) - reading(start). -#}

{% macro business_clock_join(alias, clock_column, timestamp_column) -%}
    left join {{ ref('int_business_hours_queue_clock') }} as {{ alias }}
        on {{ alias }}.queue = {{ clock_column }}
        and {{ alias }}.utc_date = cast({{ to_utc_wall(timestamp_column) }} as date)
        and {{ timestamp_column }} >= {{ alias }}.piece_start_at
        and {{ timestamp_column }} < {{ alias }}.piece_end_at
{%- endmacro %}

{% macro business_clock_reading(alias, timestamp_column) -%}
    ({{ alias }}.working_minutes_before + least(
        greatest({{ minutes_between(alias ~ '.piece_start_at', timestamp_column) }}, 0),
        {{ alias }}.working_minutes
    ))
{%- endmacro %}

{#- Business minutes between two readings; null when either instant is missing or off the calendar. -#}
{% macro business_minutes_between(start_alias, start_column, end_alias, end_column) -%}
    case when {{ start_column }} is not null and {{ end_column }} is not null then
        {{ business_clock_reading(end_alias, end_column) }} - {{ business_clock_reading(start_alias, start_column) }}
    end
{%- endmacro %}

{#- Which clock a contact's instants are read on: its own schedule's where the source applied one
    (contacts.schedule_id), else its queue's. The clock tables key both kinds in one column. -#}
{% macro business_clock_of(queue_column, schedule_column) -%}
    coalesce('schedule:' || {{ schedule_column }}, {{ queue_column }})
{%- endmacro %}
