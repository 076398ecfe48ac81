"""The CX report on the sample: built by the pipeline, opened offline in headless Chromium.

The page must render every chart with no console error and no network request, and the
numbers its charts compute in the browser (from the inlined additive parts) must equal the
marts', before and after a filter is applied. A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from playwright.sync_api import Browser, Page, sync_playwright

from dagster_cx.report.build import _inline_script, build_report
from dagster_cx.report.charts import SECTIONS
from dagster_cx.report.datasets import read_datasets
from dagster_cx.report.labels import labels
from tests.pipeline import published_path_for, report_dir_for

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
# Chromium on a machine with a closed network: no background connections, no first-run UI.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    """Debian's Chromium; installed here when missing and we may (the README's test command then just works)."""
    path = shutil.which("chromium")
    if path is None and shutil.which("apt-get") and os.geteuid() == 0:
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        if subprocess.run(install, capture_output=True, timeout=900).returncode != 0:  # stale package lists
            subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, timeout=900)
            subprocess.run(install, check=True, capture_output=True, timeout=900)
        path = shutil.which("chromium")
    if path is None:
        pytest.fail("The report tests need Debian's Chromium: run `sudo apt-get install -y chromium`, then re-run.")
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    return chromium_path()


@contextmanager
def headless(executable: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _open(browser, html: Path) -> tuple[Page, list[tuple[str, str]], list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    messages: list[tuple[str, str]] = []
    requested: list[str] = []
    page.on("console", lambda message: messages.append((message.type, message.text)))
    page.on("pageerror", lambda error: messages.append(("pageerror", str(error))))

    def offline(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(html.as_uri())
    page.evaluate("() => window.cxReport && window.cxReport.ready")  # a broken page is for the test to judge
    return page, messages, requested


@pytest.fixture(scope="module")
def browser(chromium):
    with headless(chromium) as launched:
        yield launched


@pytest.fixture(scope="module")
def report(sample_run, browser):
    warehouse = sample_run.warehouse
    html = report_dir_for(warehouse) / "cx_report.html"
    page, messages, requested = _open(browser, html)
    yield {"html": html, "page": page, "messages": messages, "requested": requested, "warehouse": warehouse}
    page.close()


def _datasets(page: Page, section: str, field: str, published: Path) -> list[pd.DataFrame]:
    """The rows a chart computed in the browser: each compiled dataset whose transforms produce `field`."""
    with duckdb.connect(str(published), read_only=True) as con:
        frames = read_datasets(con)
    # The compiled dataset names do not depend on the period the chart opens with.
    spec = next(s for s in SECTIONS if s.key == section).build(frames, labels(), ("", "")).to_dict()
    names = [d["name"] for d in vlc.vegalite_to_vega(spec)["data"]
             if any(t.get("as") == field for t in d.get("transform", []))]
    assert names, f"no dataset of {section} computes {field}"
    return [pd.DataFrame(page.evaluate("([key, name]) => window.cxReport.views[key].data(name)", [section, name]))
            for name in names]


def _rows(page: Page, section: str, field: str, published: Path) -> pd.DataFrame:
    (rows,) = _datasets(page, section, field, published)
    return rows


def test_report_opens_offline_renders_every_chart_with_no_console_error(report):
    page = report["page"]
    errors = [m for m in report["messages"] if m[0] in ("error", "pageerror")]
    assert errors == [] and page.evaluate("() => window.cxReport.errors") == []
    assert report["requested"] == []  # nothing but the file itself: no CDN, no fonts, no tracking
    html = report["html"].read_text(encoding="utf-8")
    assert "<script src=" not in html and "<link " not in html
    for section in SECTIONS:
        marks = page.locator(f"#chart-{section.key} svg .role-mark").count()
        assert marks > 0, f"{section.key} drew nothing"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cx_report.png"), full_page=True)
    assert (ARTIFACTS / "cx_report.png").stat().st_size > 50_000


def test_nps_by_month_in_the_page_equals_mart_nps_monthly(report, sample_db):
    shown = _rows(report["page"], "nps_monthly", "is_change_significant_95",
                  published_path_for(report["warehouse"])).set_index("month")
    mart = sample_db.execute(
        "select strftime(month_start_date, '%Y-%m') as month, responses, nps, nps_ci_lower_95, nps_ci_upper_95, "
        "coalesce(is_change_significant_95, false) as significant from marts.mart_nps_monthly where scope = 'all' order by 1"
    ).df().set_index("month")
    assert list(shown.index) == list(mart.index)
    np.testing.assert_array_equal(shown["responses"], mart["responses"])
    for page_column, mart_column in (("nps", "nps"), ("nps_ci_lower_95", "nps_ci_lower_95"),
                                     ("nps_ci_upper_95", "nps_ci_upper_95")):
        np.testing.assert_allclose(shown[page_column], mart[mart_column], rtol=1e-9)
    assert shown["is_change_significant_95"].tolist() == mart["significant"].tolist()


def test_scores_by_channel_and_driver_importance_equal_the_marts(report, sample_db):
    published = published_path_for(report["warehouse"])
    shown = _rows(report["page"], "by_channel", "ces_mean", published).set_index("channel")
    csat = sample_db.execute(
        "select channel, 100.0 * sum(satisfied_responses) / sum(responses) as csat_pct "
        "from marts.mart_csat_daily group by channel"
    ).df().set_index("channel")
    np.testing.assert_allclose(shown.loc[csat.index, "csat_pct"], csat["csat_pct"], rtol=1e-9)
    captions = _datasets(report["page"], "drivers", "caption", published)
    mart = sample_db.execute(
        "select framework, max(n_responses) as n, max(r_squared) as r2 from marts.mart_driver_importance "
        "where scope_type = 'all' group by framework order by framework").df()
    assert len(captions) == len(mart) == 2
    for caption, expected in zip(captions, mart.itertuples(), strict=True):
        assert caption["n"].item() == expected.n and caption["r2"].item() == pytest.approx(expected.r2)
        assert caption["caption"].item().startswith(f"{expected.framework}: n = {expected.n:,}")


def test_filters_recompute_every_chart_in_the_page(report, sample_db):
    page = report["page"]
    page.select_option("#segment", "smb")
    page.select_option("#channel", "phone")
    page.select_option("#period_from", "2026-02")
    page.evaluate("() => window.cxReport.apply()")
    try:
        shown = _rows(page, "nps_monthly", "nps", published_path_for(report["warehouse"])).set_index("month")
        expected = sample_db.execute(
            "select strftime(date_day, '%Y-%m') as month, sum(responses) as responses, "
            "100.0 * (sum(promoters) - sum(detractors)) / sum(responses) as nps from marts.mart_nps_daily "
            "where customer_segment = 'smb' and channel = 'phone' and date_day >= '2026-02-01' group by 1 order by 1"
        ).df().set_index("month")
        assert list(shown.index) == list(expected.index)
        np.testing.assert_allclose(shown["nps"], expected["nps"], rtol=1e-9)
        caption = page.locator("#chart-nps_monthly svg text", has_text="n = ").first.text_content()
        assert caption == f"n = {int(expected['responses'].sum()):,} · 2026-02 to 2026-06"
        assert [m for m in report["messages"] if m[0] in ("error", "pageerror")] == []
    finally:
        for select, value in (("#segment", "all"), ("#channel", "all"), ("#period_from", "2026-01")):
            page.select_option(select, value)
        page.evaluate("() => window.cxReport.apply()")


def test_chart_exports_for_slides_exist_for_every_section(report):
    charts = report["html"].parent / "charts"
    for section in SECTIONS:
        assert (charts / f"{section.key}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (charts / f"{section.key}.svg").read_text(encoding="utf-8")[:500]


def test_a_translated_report_renders_cyrillic_labels(report, browser, tmp_path):
    result = build_report(published_path_for(report["warehouse"]), tmp_path / "ru", language="ru")
    page, messages, requested = _open(browser, result.html)
    try:
        assert page.locator("header h1").text_content() == "Отчёт CX"
        assert page.locator("label", has_text="Канал").count() == 1
        assert page.locator("#chart-nps_monthly svg text", has_text="NPS по месяцам").count() == 1
        assert [m for m in messages if m[0] in ("error", "pageerror")] == [] and requested == []
        page.screenshot(path=str(ARTIFACTS / "cx_report_ru.png"))
    finally:
        page.close()


# Hostile free text as it could arrive in a raw file: script ends in mixed case, entity-encoded
# markup (which must show literally), an attribute breaker, a comment opener that would swallow
# the page's own script, and the two line separators older JavaScript took for line ends.
HOSTILE_SEGMENTS = {
    "smb": "smb</SCRIPT><svg onload=window.cxInjected='svg'>",
    "enterprise": "&lt;/script&gt;&lt;img src=x onerror=window.cxInjected='img'&gt; &#x3C;/sCrIpT&#x3E;",
    "consumer": "\"><img src=x onerror=window.cxInjected='option'><!--<script>\u2028\u2029",
}
HOSTILE_CHANNEL = "phone</script ><img src=x onerror=window.cxInjected='channel'>"
HOSTILE_TOUCHPOINT = "</ScRiPt><script>window.cxInjected='touchpoint'</script>\u2028Support chat"


def _plant(published: Path, column: str, replacements: dict[str, str]) -> None:
    """Replace values of `column` in every published mart that has it."""
    with duckdb.connect(str(published)) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.columns where table_schema = 'marts' and column_name = ?",
            [column]).fetchall()]
        for table in tables:
            for before, after in replacements.items():
                con.execute(f"update marts.{table} set {column} = ? where {column} = ?", [after, before])


def test_hostile_text_in_the_marts_stays_text_in_the_page(report, browser, tmp_path):
    published = tmp_path / "hostile.duckdb"
    shutil.copy(published_path_for(report["warehouse"]), published)
    with duckdb.connect(str(published), read_only=True) as con:
        smb_responses = con.execute(
            "select sum(responses) from marts.mart_nps_daily where customer_segment = 'smb'").fetchall()[0][0]
        touchpoints = [r[0] for r in con.execute(
            "select touchpoint_name from marts.mart_journey order by journey_stage_order, touchpoint_id").fetchall()]
    _plant(published, "customer_segment", HOSTILE_SEGMENTS)
    _plant(published, "channel", {"phone": HOSTILE_CHANNEL})
    _plant(published, "touchpoint_name", {"Support chat": HOSTILE_TOUCHPOINT})
    result = build_report(published, tmp_path / "report")
    html = result.html.read_text(encoding="utf-8")
    assert html.lower().count("</script") == 2  # the page's own two scripts, nothing from the data

    page, messages, requested = _open(browser, result.html)
    try:
        injected = page.evaluate("""() => ({
            ran: window.cxInjected,
            scripts: document.scripts.length,
            elements: document.querySelectorAll('img, iframe, svg[onload]').length,
            handlers: [...document.querySelectorAll('*')].filter(
                e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
        })""")
        assert injected == {"ran": None, "scripts": 2, "elements": 0, "handlers": 0}
        assert page.evaluate("() => window.cxReport.errors") == []
        assert [m for m in messages if m[0] in ("error", "pageerror")] == [] and requested == []
        # Every value arrives intact, as text: the filters list them, the charts draw them.
        segments = page.locator("#segment option").all_text_contents()
        assert segments == ["All", *sorted(HOSTILE_SEGMENTS.values())]
        assert page.locator("#segment option").evaluate_all("os => os.map(o => o.value)")[1:] == segments[1:]
        assert HOSTILE_CHANNEL in page.locator("#channel option").all_text_contents()
        journey = page.evaluate("() => window.cxReport.views.journey.scale('y').domain()")
        assert journey == [HOSTILE_TOUCHPOINT if name == "Support chat" else name for name in touchpoints]
        for section in SECTIONS:
            assert page.locator(f"#chart-{section.key} svg .role-mark").count() > 0, f"{section.key} drew nothing"
        # Filtering by a hostile segment finds its rows: the value survived JSON and the <option>.
        page.select_option("#segment", HOSTILE_SEGMENTS["smb"])
        page.evaluate("() => window.cxReport.apply()")
        caption = page.locator("#chart-nps_monthly svg text", has_text="n = ").first.text_content()
        assert caption.startswith(f"n = {smb_responses:,} · ")
        assert page.evaluate("() => window.cxInjected") is None
    finally:
        page.close()


@pytest.mark.parametrize("code", ["x = '</ScRiPt>';", "/* <!-- */"])
def test_a_vega_bundle_that_would_end_the_inline_script_is_refused(code):
    with pytest.raises(ValueError, match="would end the report's inline script: pin vl-convert-python"):
        _inline_script(code)
    assert _inline_script("if (a < b) {}") == "if (a < b) {}"
