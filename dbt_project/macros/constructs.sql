{#- The twelve constructs of the two emotional-CX frameworks (dagster_cx/contract.py FORCES and
    PILLARS): the Ipsos Forces and the KPMG Pillars, as (measure, construct) pairs. A construct
    score column is named `<measure>_<construct>_score`. -#}
{% macro cx_constructs() -%}
    {{ return([
        ('force', 'fairness'),
        ('force', 'control'),
        ('force', 'certainty'),
        ('force', 'status'),
        ('force', 'belonging'),
        ('force', 'enjoyment'),
        ('pillar', 'integrity'),
        ('pillar', 'resolution'),
        ('pillar', 'expectations'),
        ('pillar', 'time_and_effort'),
        ('pillar', 'personalisation'),
        ('pillar', 'empathy'),
    ]) }}
{%- endmacro %}
