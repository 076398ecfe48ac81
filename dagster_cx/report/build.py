"""Render the CX report: one self-contained HTML page, plus SVG and PNG of every chart.

The page inlines its data and the Vega, Vega-Lite and Vega-Embed libraries (bundled by
vl-convert), so it opens offline from a file; the filters re-run each chart's own
transforms in the browser. The exports are rendered from the same specs by vl-convert,
with no browser, for slides.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2
import markupsafe
import vl_convert as vlc

from dagster_cx.report.charts import SECTIONS
from dagster_cx.report.datasets import read_datasets, snapshot_info
from dagster_cx.report.labels import labels as labels_for

TEMPLATES = Path(__file__).parent / "templates"
ALL_FILTERS = ("period", "segment", "channel")
# What would end an inline script early, or hide its end (the HTML parser ignores case).
SCRIPT_BREAKERS = re.compile(r"</script|<!--", re.IGNORECASE)


@dataclass(frozen=True)
class ReportResult:
    html: Path
    exports: list[Path]
    sections: list[str]
    bytes: int


def build_report(published: Path, out_dir: Path, language: str = "en") -> ReportResult:
    """Write `cx_report.html` and `charts/<section>.svg|.png` into out_dir from the published snapshot."""
    if not published.exists():
        raise FileNotFoundError(f"No published snapshot at {published}: run `cx-warehouse run` first.")
    with duckdb.connect(str(published), read_only=True) as con:
        frames = read_datasets(con)
        built_at, run_id = snapshot_info(con)
    labels = labels_for(language)
    survey = frames["survey_parts"]
    months = sorted({*survey["month"], *frames["contact_parts"]["month"]})
    # The period starts at the first month with survey answers: contacts alone in the month
    # before (a few minutes of it in the reporting time zone) would open every chart with a sliver.
    period = (min(survey["month"], default=months[0] if months else ""), months[-1] if months else "")
    # Altair's schema validation of the inlined data costs seconds; vl-convert compiles (and rejects) every spec below.
    specs = {section.key: section.build(frames, labels, period).to_dict(validate=False) for section in SECTIONS}

    out_dir.mkdir(parents=True, exist_ok=True)
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(exist_ok=True)
    exports = []
    for key, spec in specs.items():
        for suffix, render in (("svg", vlc.vegalite_to_svg), ("png", lambda s: vlc.vegalite_to_png(s, scale=2))):
            target = charts_dir / f"{key}.{suffix}"
            _write_atomically(target, render(spec))
            exports.append(target)

    page = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True).get_template(
        "report.html.j2"
    ).render(
        language=language,
        labels=labels,
        built_from=labels["built_from"].format(built_at=built_at, run_id=run_id[:8]),
        months=months,
        start_month=period[0],
        segments=sorted(survey["customer_segment"].unique()),
        channels=sorted({*survey["channel"], *frames["contact_parts"]["channel"]}),
        sections=[
            {"key": s.key, "filters": s.filters, "unfiltered": _unfiltered_note(s.filters, labels)} for s in SECTIONS
        ],
        vega_bundle=_inline_script(_vega_bundle(out_dir)),
        specs_json=_json_for_script(specs),
    )
    html = out_dir / "cx_report.html"
    _write_atomically(html, page.encode("utf-8"))
    return ReportResult(html, exports, list(specs), html.stat().st_size)


def _vega_bundle(out_dir: Path) -> str:
    """Vega, Vega-Lite and Vega-Embed as one script; bundling takes seconds, so it is kept per vl-convert version."""
    cached = out_dir / ".cache" / f"vega-bundle-{vlc.__version__}.js"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(cached, vlc.javascript_bundle())
    return cached.read_text(encoding="utf-8")


def _unfiltered_note(filters: tuple[str, ...], labels: dict[str, str]) -> str:
    """Say which of the page's filters a chart ignores (its mart has no such dimension)."""
    missing = [labels[f"dimension_{name}"] for name in ALL_FILTERS if name not in filters]
    return labels["not_filtered_by"].format(dimensions=", ".join(missing)) if missing else ""


def _json_for_script(value: object) -> markupsafe.Markup:
    """JSON to inline in a <script> element, whatever text the marts hold (a segment, a touchpoint name).

    Jinja's `tojson`: `<`, `>`, `&` and `'` become JSON's own \\u escapes, so no value can close
    the element (`</SCRIPT>` in any case) or open a comment; ASCII-only output escapes U+2028
    and U+2029 too. JavaScript reads the escapes back as the original characters.
    """
    return jinja2.utils.htmlsafe_json_dumps(value, allow_nan=False, default=str)


def _inline_script(code: str) -> markupsafe.Markup:
    """Trusted JavaScript (the Vega bundle) to inline in a <script> element.

    Code cannot be escaped like data without changing what it does, so a bundle holding a
    sequence that would end the element is refused rather than rewritten.
    """
    if found := SCRIPT_BREAKERS.search(code):
        raise ValueError(
            f"The Vega bundle of vl-convert {vlc.__version__} contains {found.group(0)!r} at character "
            f"{found.start()}, which would end the report's inline script: pin vl-convert-python to "
            "an earlier version in pyproject.toml and report it."
        )
    return markupsafe.Markup(code)


def _write_atomically(path: Path, content: bytes | str) -> None:
    """Readers (a browser, a slide deck) see the old file or the new one, never half of it."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    os.replace(temporary, path)
