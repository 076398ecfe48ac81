{{ construct_scores_mart('pillar') }}

select
    final.*,
    case
        when pillar = 'integrity' then 'foundation'
        when pillar in ('expectations', 'time_and_effort') then 'intermediate'
        when pillar in ('personalisation', 'empathy') then 'distinguishing'
        when pillar = 'resolution' then 'recovery'
    end as pillar_group
from final
