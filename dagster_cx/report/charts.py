"""The report's charts as Vega-Lite specs (built with Altair), one per section.

Every chart carries its data inline and four variables, `period_from`, `period_to`,
`segment` and `channel`, that the page's filters set. Filtering and re-aggregation happen
in the spec's own transforms (sum the parts, then compute the ratio), so the page in the
browser and the PNG/SVG exports (vl-convert, filters at 'all') show the same numbers.
Each chart has a caption line with its n and the period it covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import pandas as pd

PERIOD = "datum.month >= period_from && datum.month <= period_to"
SEGMENT = "segment == 'all' || datum.customer_segment == segment"
CHANNEL = "channel == 'all' || datum.channel == channel"
# Months as 'YYYY-MM' strings; this turns one into a running month number.
MONTH_INDEX = "toNumber(substring(datum.month, 0, 4)) * 12 + toNumber(substring(datum.month, 5, 7))"

STATUS_COLOURS = {"on track": "#2e7d32", "at risk": "#f9a825", "off track": "#c62828", "no data": "#9e9e9e"}
QUADRANT_COLOURS = {"fix first": "#c62828", "keep": "#2e7d32", "low priority": "#9e9e9e", "possible overkill": "#1565c0"}
# Plutchik's own colours for the eight primary emotions.
EMOTION_COLOURS = {
    "joy": "#ffd600", "trust": "#8bc34a", "fear": "#1b5e20", "surprise": "#00acc1",
    "sadness": "#1e88e5", "disgust": "#8e24aa", "anger": "#e53935", "anticipation": "#fb8c00",
}
# The caption line (n and period) sits just above the plot, left-aligned.
CAPTION_MARK = {"align": "left", "baseline": "bottom", "fontSize": 11, "color": "#555"}
CAPTION_ENCODING = {"text": "caption:N", "x": alt.value(0), "y": alt.value(-4)}
WIDTH = 520
SMALL = 250


@dataclass(frozen=True)
class Section:
    """One chart of the page: its key, the filters that apply to it, and how to build it."""

    key: str
    filters: tuple[str, ...]  # of "period", "segment", "channel"
    build: Callable[[dict[str, pd.DataFrame], dict[str, str], tuple[str, str]], alt.TopLevelMixin]


def _data(frame: pd.DataFrame, name: str) -> alt.InlineData:
    return alt.InlineData(values=frame.to_dict(orient="records"), name=name)


def _params(period: tuple[str, str]) -> list[alt.Parameter]:
    """The page's filters as chart variables, at their defaults: the whole period, every segment and channel."""
    return [
        alt.param(name="period_from", value=period[0]),
        alt.param(name="period_to", value=period[1]),
        alt.param(name="segment", value="all"),
        alt.param(name="channel", value="all"),
    ]


def _caption(base: alt.Chart, n_field: str, first: str = "month", last: str = "month", per: str | None = None) -> alt.Chart:
    """'n = 1,234 · 2026-01 to 2026-06' above the plot, from the filtered rows.

    With `per`, n is the largest total of one `per` group (e.g. responses per construct).
    Output names carry the field: Vega-Lite merges look-alike aggregates across the panels of a
    concatenated chart, which would give every panel the same n.
    """
    total, start, end = f"total_{n_field}", f"first_{n_field}", f"last_{n_field}"
    if per:
        base = base.transform_aggregate(
            **{n_field: f"sum({n_field})", f"{per}_first": f"min({first})", f"{per}_last": f"max({last})"},
            groupby=[per])
        first, last = f"{per}_first", f"{per}_last"
        prefix = "'n ≤ ' + format(datum." + total + ", ',') + ' per " + per + "'"
        summed = f"max({n_field})"
    else:
        prefix = "'n = ' + format(datum." + total + ", ',')"
        summed = f"sum({n_field})"
    return base.transform_aggregate(
        **{total: summed, start: f"min({first})", end: f"max({last})"}
    ).transform_calculate(
        caption=f"{prefix} + ' · ' + datum.{start} + ' to ' + datum.{end}"
    ).mark_text(**CAPTION_MARK).encode(**CAPTION_ENCODING)


def _title(labels: dict[str, str], key: str, note: str | None = None) -> alt.Title:
    return alt.Title(labels[key], subtitle=labels[note] if note else "", anchor="start", offset=18)


def scorecard(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    base = alt.Chart(_data(frames["scorecard"], "scorecard")).transform_filter(PERIOD)
    cells = base.mark_rect(stroke="white").encode(
        x=alt.X("month:O", title=labels["month"]),
        y=alt.Y("measure_label:N", title=None),
        color=alt.Color("status:N", title=labels["status"],
                        scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values()))),
        tooltip=["measure_label:N", "month:O", alt.Tooltip("actual_value:Q", format=".1f"), "comparator:N",
                 "target_value:Q", "status:N", "trend:N", alt.Tooltip("denominator:Q", title="n")],
    )
    values = base.transform_calculate(
        shown="isValid(datum.actual_value) ? format(datum.actual_value, '.1f') : '-'"
    ).mark_text(color="white", fontSize=11).encode(x="month:O", y="measure_label:N", text="shown:N")
    caption = base.transform_aggregate(first="min(month)", last="max(month)").transform_calculate(
        caption="datum.first + ' to ' + datum.last + ' · n of each cell in its tooltip'"
    ).mark_text(**CAPTION_MARK).encode(**CAPTION_ENCODING)
    return alt.layer(cells, values, caption).properties(
        width=WIDTH, title=_title(labels, "scorecard", "scorecard_note")).add_params(*_params(period))


def nps_monthly(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    base = alt.Chart(_data(frames["survey_parts"], "survey_parts")).transform_filter(
        f"({PERIOD}) && ({SEGMENT}) && ({CHANNEL})"
    )
    monthly = base.transform_aggregate(
        promoters="sum(promoters)", detractors="sum(detractors)", responses="sum(nps_responses)", groupby=["month"]
    ).transform_filter("datum.responses > 0").transform_calculate(
        nps="100 * (datum.promoters - datum.detractors) / datum.responses",
        promoter_share_adjusted="(datum.promoters + 0.75) / (datum.responses + 3)",
        detractor_share_adjusted="(datum.detractors + 0.75) / (datum.responses + 3)",
    ).transform_calculate(
        nps_adjusted="100 * (datum.promoter_share_adjusted - datum.detractor_share_adjusted)",
        nps_standard_error="100 * sqrt((datum.promoter_share_adjusted + datum.detractor_share_adjusted"
        " - pow(datum.promoter_share_adjusted - datum.detractor_share_adjusted, 2)) / (datum.responses + 3))",
        month_index=MONTH_INDEX,
    ).transform_calculate(
        nps_ci_lower_95="max(-100, datum.nps_adjusted - 1.96 * datum.nps_standard_error)",
        nps_ci_upper_95="min(100, datum.nps_adjusted + 1.96 * datum.nps_standard_error)",
    ).transform_window(
        previous_adjusted="lag(nps_adjusted)", previous_error="lag(nps_standard_error)",
        previous_index="lag(month_index)", sort=[alt.SortField("month")],
    ).transform_calculate(
        nps_change_z="datum.previous_index == datum.month_index - 1 ? (datum.nps_adjusted - datum.previous_adjusted)"
        " / sqrt(pow(datum.nps_standard_error, 2) + pow(datum.previous_error, 2)) : null",
    ).transform_calculate(
        is_change_significant_95="isValid(datum.nps_change_z) && abs(datum.nps_change_z) > 1.96"
    )
    x = alt.X("month:O", title=labels["month"])
    band = monthly.mark_area(opacity=0.25).encode(x=x, y=alt.Y("nps_ci_lower_95:Q", title=labels["nps"]),
                                                  y2="nps_ci_upper_95:Q")
    line = monthly.mark_line(point=True).encode(
        x=x, y="nps:Q",
        tooltip=["month:O", alt.Tooltip("nps:Q", format=".1f"), "responses:Q",
                 alt.Tooltip("nps_ci_lower_95:Q", format=".1f"), alt.Tooltip("nps_ci_upper_95:Q", format=".1f"),
                 alt.Tooltip("nps_change_z:Q", format=".2f")],
    )
    rings = monthly.mark_point(size=260, strokeWidth=2.5, color="#c62828").encode(
        x=x, y="nps:Q", opacity=alt.condition("datum.is_change_significant_95", alt.value(1), alt.value(0)))
    return alt.layer(band, line, rings, _caption(base, "nps_responses")).properties(
        width=WIDTH, title=_title(labels, "nps_monthly", "nps_monthly_note")).add_params(*_params(period))


def _three_scores(dimension: str, title_key: str) -> Callable:
    def build(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
        base = alt.Chart(_data(frames["survey_parts"], "survey_parts")).transform_filter(
            f"({PERIOD}) && ({SEGMENT}) && ({CHANNEL})"
        )
        grouped = base.transform_aggregate(
            promoters="sum(promoters)", detractors="sum(detractors)", nps_responses="sum(nps_responses)",
            csat_satisfied="sum(csat_satisfied)", csat_responses="sum(csat_responses)",
            ces_score_sum="sum(ces_score_sum)", ces_responses="sum(ces_responses)", groupby=[dimension],
        ).transform_calculate(
            nps="datum.nps_responses > 0 ? 100 * (datum.promoters - datum.detractors) / datum.nps_responses : null",
            csat_pct="datum.csat_responses > 0 ? 100 * datum.csat_satisfied / datum.csat_responses : null",
            ces_mean="datum.ces_responses > 0 ? datum.ces_score_sum / datum.ces_responses : null",
        )
        panels = []
        for measure, count in (("nps", "nps_responses"), ("csat_pct", "csat_responses"), ("ces_mean", "ces_responses")):
            bars = grouped.transform_filter(f"isValid(datum.{measure})").mark_bar().encode(
                x=alt.X(f"{measure}:Q", title=labels[measure]),
                y=alt.Y(f"{dimension}:N", title=None, sort="-x"),
                tooltip=[f"{dimension}:N", alt.Tooltip(f"{measure}:Q", format=".1f"), f"{count}:Q"],
            )
            panels.append(alt.layer(bars, _caption(base, count)).properties(width=SMALL - 60))
        return alt.hconcat(*panels, title=_title(labels, title_key)).add_params(*_params(period))
    return build


def _constructs(framework: str) -> Callable:
    def build(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
        parts = frames["construct_parts"]
        base = alt.Chart(_data(parts[parts["framework"] == framework], f"{framework}_parts")).transform_filter(
            f"({PERIOD}) && ({SEGMENT}) && ({CHANNEL})"
        )
        scores = base.transform_aggregate(
            responses="sum(responses)", score_sum="sum(score_sum)", squares="sum(score_sum_of_squares)",
            groupby=["construct"],
        ).transform_filter("datum.responses > 1").transform_calculate(
            index="datum.score_sum / datum.responses",
            sd="sqrt(max(0, (datum.squares - datum.score_sum * datum.score_sum / datum.responses)"
            " / (datum.responses - 1)))",
        ).transform_calculate(
            ci_lower="datum.index - 1.96 * datum.sd / sqrt(datum.responses)",
            ci_upper="datum.index + 1.96 * datum.sd / sqrt(datum.responses)",
        )
        y = alt.Y("construct:N", title=None, sort="-x")
        bars = scores.mark_bar(color="#5c6bc0").encode(
            x=alt.X("index:Q", title=labels["index"], scale=alt.Scale(domain=[0, 100])), y=y,
            tooltip=["construct:N", alt.Tooltip("index:Q", format=".1f"), "responses:Q",
                     alt.Tooltip("ci_lower:Q", format=".1f"), alt.Tooltip("ci_upper:Q", format=".1f")],
        )
        whiskers = scores.mark_rule(color="#222").encode(x="ci_lower:Q", x2="ci_upper:Q", y=y)
        return alt.layer(bars, whiskers, _caption(base, "responses", per="construct")).properties(
            width=SMALL + 40, title=_title(labels, framework)).add_params(*_params(period))
    return build


def drivers(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    base = alt.Chart(_data(frames["drivers"], "drivers")).transform_filter(
        "segment == 'all' ? datum.scope_type == 'all' : datum.scope_type == 'segment' && datum.customer_segment == segment"
    )
    panels = []
    for framework in ("forces", "pillars"):
        scoped = base.transform_filter(f"datum.framework == '{framework}'")
        points = scoped.mark_circle(size=140).encode(
            x=alt.X("performance:Q", title=labels["performance"], scale=alt.Scale(zero=False)),
            y=alt.Y("importance_pct:Q", title=labels["importance"]),
            color=alt.Color("quadrant:N", title=labels["quadrant"],
                            scale=alt.Scale(domain=list(QUADRANT_COLOURS), range=list(QUADRANT_COLOURS.values()))),
            tooltip=["driver:N", alt.Tooltip("importance_pct:Q", format=".1f"),
                     alt.Tooltip("performance:Q", format=".1f"), "quadrant:N", "n_responses:Q",
                     alt.Tooltip("r_squared:Q", format=".3f")],
        )
        names = scoped.mark_text(align="left", dx=8, fontSize=11).encode(
            x="performance:Q", y="importance_pct:Q", text="driver:N")
        average = scoped.transform_aggregate(mean_performance="mean(performance)").mark_rule(
            strokeDash=[4, 4], color="#888").encode(x="mean_performance:Q")
        equal_share = alt.Chart(alt.InlineData(values=[{"share": 100 / 6}])).mark_rule(
            strokeDash=[4, 4], color="#888").encode(y="share:Q")
        caption = scoped.transform_aggregate(
            n="max(n_responses)", first="min(period_start)", last="max(period_end)", r2="max(r_squared)"
        ).transform_calculate(
            caption=f"'{framework}: n = ' + format(datum.n, ',') + ' · ' + datum.first + ' to ' + datum.last"
            " + ' · R² = ' + format(datum.r2, '.2f')"
        ).mark_text(**CAPTION_MARK).encode(**CAPTION_ENCODING)
        panels.append(alt.layer(equal_share, average, points, names, caption).properties(width=SMALL, height=220))
    return alt.hconcat(*panels, title=_title(labels, "drivers", "drivers_note")).add_params(*_params(period))


def journey(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    # Sorted by fields, not by lists of names: Vega-Lite compiles a list into an expression, which
    # a name holding a line separator (U+2028) stops from compiling. The mart comes in journey order.
    frame = frames["journey"].assign(touchpoint_position=lambda f: range(len(f)))
    base = alt.Chart(_data(frame, "journey"))
    stage = alt.X("journey_stage:N", title=labels["journey_stage"],
                  sort=alt.EncodingSortField("journey_stage_order", op="min"))
    touchpoint = alt.Y("touchpoint_name:N", title=labels["touchpoint"],
                       sort=alt.EncodingSortField("touchpoint_position", op="min"))
    cells = base.mark_rect(stroke="white").encode(
        x=stage,
        y=touchpoint,
        color=alt.Color("nps:Q", title=labels["nps"], scale=alt.Scale(scheme="redyellowgreen", domain=[-50, 50])),
        tooltip=["touchpoint_name:N", "journey_stage:N", alt.Tooltip("nps:Q", format=".1f"), "nps_responses:Q",
                 "contacts:Q", "pain_point_rank:Q"],
    )
    ranks = base.transform_filter("isValid(datum.pain_point_rank)").mark_text(fontWeight="bold").encode(
        x=stage, y=touchpoint, text="pain_point_rank:Q")
    caption = _caption(base, "responses", "first_date", "last_date")
    return alt.layer(cells, ranks, caption).properties(
        width=WIDTH - 100, title=_title(labels, "journey", "journey_note")).add_params(*_params(period))


def emotions(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    base = alt.Chart(_data(frames["emotions"], "emotions")).transform_filter(CHANNEL)
    wheel = base.transform_aggregate(
        responses="sum(emotion_responses)", groupby=["emotion", "wheel_position"]
    ).transform_joinaggregate(total="sum(responses)").transform_calculate(
        share_pct="datum.total > 0 ? 100 * datum.responses / datum.total : 0",
        slice_start="datum.wheel_position - 1",
    )
    colour = alt.Color("emotion:N", title=labels["emotion"],
                       scale=alt.Scale(domain=list(EMOTION_COLOURS), range=list(EMOTION_COLOURS.values())))
    # Eight equal slices in wheel order; the radius shows how often each emotion was felt.
    petals = wheel.mark_arc(stroke="white").encode(
        theta=alt.Theta("slice_start:Q", scale=alt.Scale(domain=[0, 8], range=[0, 6.283185307179586])),
        theta2="wheel_position:Q",
        radius=alt.Radius("share_pct:Q", scale=alt.Scale(type="sqrt", zero=True, rangeMin=10)), color=colour,
        tooltip=["emotion:N", alt.Tooltip("share_pct:Q", format=".1f"), "responses:Q"],
    )
    caption = base.transform_aggregate(n="sum(emotion_responses)").transform_calculate(
        caption="'n = ' + format(datum.n, ',') + ' · whole history'"
    ).mark_text(**CAPTION_MARK).encode(**CAPTION_ENCODING)
    return alt.layer(petals, caption).properties(
        width=SMALL + 40, height=SMALL + 40, title=_title(labels, "emotions")).add_params(*_params(period))


def polarization(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    base = alt.Chart(_data(frames["polarization"], "polarization")).transform_filter(CHANNEL).transform_calculate(
        label="datum.channel + ' / ' + datum.touchpoint_name")
    bars = base.mark_bar().encode(
        x=alt.X("csat_stddev:Q", title=labels["csat_stddev"], scale=alt.Scale(domain=[0, 2])),
        y=alt.Y("label:N", title=None, sort="-x"),
        color=alt.Color("is_polarized:N", title=labels["polarized"],
                        scale=alt.Scale(domain=[False, True], range=["#90a4ae", "#c62828"])),
        tooltip=["label:N", alt.Tooltip("csat_stddev:Q", format=".2f"), alt.Tooltip("csat_mean:Q", format=".2f"),
                 alt.Tooltip("low_share_pct:Q", format=".1f"), alt.Tooltip("high_share_pct:Q", format=".1f"),
                 "responses:Q"],
    )
    threshold = alt.Chart(alt.InlineData(values=[{"sd": 1.2}])).mark_rule(strokeDash=[4, 4]).encode(x="sd:Q")
    return alt.layer(bars, threshold, _caption(base, "responses", "first_date", "last_date")).properties(
        width=WIDTH - 160, title=_title(labels, "polarization", "polarization_note")).add_params(*_params(period))


def contact_center(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    parts = alt.Chart(_data(frames["contact_parts"], "contact_parts")).transform_filter(f"({PERIOD}) && ({CHANNEL})")
    ratios = parts.transform_aggregate(
        offered="sum(contacts_offered)", abandoned="sum(contacts_abandoned)", handled="sum(contacts_handled)",
        handle_seconds="sum(handle_seconds_sum)", eligible="sum(fcr_eligible_contacts)",
        resolved_first="sum(first_contact_resolutions)", sl_offered="sum(sl_offered)", sl_answered="sum(sl_answered)",
        groupby=["month"],
    ).transform_calculate(
        fcr_rate_pct="datum.eligible > 0 ? 100 * datum.resolved_first / datum.eligible : null",
        aht_seconds="datum.handled > 0 ? datum.handle_seconds / datum.handled : null",
        abandonment_rate_pct="datum.offered > 0 ? 100 * datum.abandoned / datum.offered : null",
        service_level_pct="datum.sl_offered > 0 ? 100 * datum.sl_answered / datum.sl_offered : null",
    )
    percentiles = alt.Chart(_data(frames["reply_time_percentiles"], "reply_time_percentiles")).transform_filter(
        f"({PERIOD}) && datum.channel == channel && datum.customer_segment == 'all'")
    x = alt.X("month:O", title=labels["month"])
    panels = []
    for source, measure, count in ((percentiles, "frt_median", "first_replies"), (percentiles, "frt_p90", "first_replies"),
                                   (ratios, "fcr_rate_pct", "eligible"), (ratios, "aht_seconds", "handled"),
                                   (ratios, "abandonment_rate_pct", "offered"), (ratios, "service_level_pct", "sl_offered")):
        line = source.transform_filter(f"isValid(datum.{measure})").mark_line(point=True).encode(
            x=x, y=alt.Y(f"{measure}:Q", title=labels[measure], scale=alt.Scale(zero=False)),
            tooltip=["month:O", alt.Tooltip(f"{measure}:Q", format=".1f"), f"{count}:Q"])
        caption = (_caption(percentiles, "first_replies") if source is percentiles
                   else _caption(parts, "contacts_offered"))
        panels.append(alt.layer(line, caption).properties(width=SMALL - 20, height=140))
    grid = alt.vconcat(*(alt.hconcat(*panels[i:i + 3]) for i in range(0, len(panels), 3)))
    return grid.properties(title=_title(labels, "contact_center")).add_params(*_params(period))


def followups(frames: dict[str, pd.DataFrame], labels: dict[str, str], period: tuple[str, str]) -> alt.TopLevelMixin:
    base = alt.Chart(_data(frames["followups"], "followups")).transform_filter(f"({SEGMENT}) && ({CHANNEL})")
    bars = base.transform_calculate(one="1").mark_bar().encode(
        x=alt.X("days_waiting:Q", bin=alt.Bin(step=5), title=labels["days_waiting"]),
        y=alt.Y("count():Q", title=labels["followups_count"]),
        color=alt.Color("has_comment:N", title=labels["has_comment"]),
        tooltip=["count():Q"],
    )
    caption = base.transform_calculate(one="1").transform_aggregate(
        n="sum(one)", oldest="max(days_waiting)", as_of="max(as_of_date)"
    ).transform_calculate(
        caption="'n = ' + format(datum.n, ',') + ' to call back · oldest ' + datum.oldest + ' days · as of ' + datum.as_of"
    ).mark_text(**CAPTION_MARK).encode(**CAPTION_ENCODING)
    return alt.layer(bars, caption).properties(
        width=WIDTH - 160, height=180, title=_title(labels, "followups", "followups_note")).add_params(*_params(period))


SECTIONS: tuple[Section, ...] = (
    Section("scorecard", ("period",), scorecard),
    Section("nps_monthly", ("period", "segment", "channel"), nps_monthly),
    Section("by_channel", ("period", "segment", "channel"), _three_scores("channel", "by_channel")),
    Section("by_stage", ("period", "segment", "channel"), _three_scores("journey_stage", "by_stage")),
    Section("forces", ("period", "segment", "channel"), _constructs("forces")),
    Section("pillars", ("period", "segment", "channel"), _constructs("pillars")),
    Section("drivers", ("segment",), drivers),
    Section("journey", (), journey),
    Section("emotions", ("channel",), emotions),
    Section("polarization", ("channel",), polarization),
    Section("contact_center", ("period", "channel"), contact_center),
    Section("followups", ("segment", "channel"), followups),
)
