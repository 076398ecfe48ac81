{#- Continuous percentile (linear interpolation between order statistics, like numpy's default). -#}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'cx_warehouse')(column, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(column, fraction) -%}
    quantile_cont(cast({{ column }} as double), {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(column, fraction) -%}
    percentile(cast({{ column }} as double), {{ fraction }})
{%- endmacro %}

{#- A ratio that is null, not an error, when its denominator is zero (an empty group). -#}
{% macro safe_ratio(numerator, denominator, scale=1) -%}
    ({{ scale }} * cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- A 0-100 score from an answer on a scale, flipped for reverse-coded items (in double
    precision on every engine: Spark would compute a decimal literal's product as a decimal). -#}
{% macro rescale_to_100(value, scale_min, scale_max, is_reverse_coded) -%}
    (100 * cast(case
        when {{ is_reverse_coded }} then ({{ scale_max }} - {{ value }})
        else ({{ value }} - {{ scale_min }})
    end as double) / ({{ scale_max }} - {{ scale_min }}))
{%- endmacro %}

{#- A sum of doubles that gives the same bits whatever order its rows come in: each value to a whole
    number of steps (steps_per_unit per unit: 60000000 for minutes = microseconds), summed exactly
    as integers, divided once. A plain float sum depends on the order of its terms, which differs
    between a full build and a backfill of the same rows, so the published copy would replace keys
    whose values differ only in the last digit. -#}
{% macro exact_sum(expression, steps_per_unit) -%}
    (cast(sum(cast(round(({{ expression }}) * {{ steps_per_unit }}) as bigint)) as double) / {{ steps_per_unit }})
{%- endmacro %}

{#- The mean of a 0-100 score as exact_sum divided by the count (nulls skipped, null when none). -#}
{% macro exact_score_mean(expression) -%}
    ({{ exact_sum(expression, 1000000000) }} / nullif(count({{ expression }}), 0))
{%- endmacro %}
