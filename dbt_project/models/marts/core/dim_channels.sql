with

channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        channel,
        channel_name,
        channel_group,
        is_real_time,
        is_assisted
    from channels
)

select * from final
