{{ construct_scores_mart('force') }}

select
    final.*,
    force in ('certainty', 'fairness') as is_hygiene_force
from final
