"""The CX report: one self-contained HTML page and chart exports, built from the published snapshot."""

import dagster as dg

from dagster_cx.defs.publish import GROUP, bi_snapshot
from dagster_cx.defs.resources import PublishedCopyResource, ReportFolderResource
from dagster_cx.report.build import build_report


@dg.asset(
    key=["published", "cx_report"],
    group_name=GROUP,
    kinds={"html", "svg"},
    deps=[bi_snapshot],
    description="cx_report.html (opens offline in any browser: data and charting libraries inlined, filters by "
    "period, segment and channel) and charts/<section>.svg|.png for slides, from the published snapshot.",
)
def cx_report(published_copy: PublishedCopyResource, report_folder: ReportFolderResource) -> dg.MaterializeResult:
    result = build_report(published_copy.path, report_folder.path, report_folder.language)
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(result.html)),
            "size_bytes": result.bytes,
            "charts": dg.MetadataValue.json(result.sections),
            "exports": len(result.exports),
        }
    )
