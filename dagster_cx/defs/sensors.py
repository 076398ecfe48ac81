"""The inbox sensor: new raw files under CX_DATA_DIR, or in a file source's drop folder, start a full build."""

import hashlib

import dagster as dg

from dagster_cx.defs.jobs import full_build_job
from dagster_cx.defs.resources import RawFilesResource
from dagster_cx.ingest.inbox import scan_inbox
from dagster_cx.sources.registry import drop_folders


@dg.sensor(
    job=full_build_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Every minute: settled new or replaced files in CX_DATA_DIR/<entity>/ or in a configured file "
    "source's folder (CX_SURVEY_EXPORTS_DIR, CX_AMAZON_CONNECT_CTR_DIR) launch cx_full_build. "
    "The cursor remembers every file seen (path, size, modification time), so none is picked up twice.",
)
def new_raw_files(context: dg.SensorEvaluationContext, raw_files: RawFilesResource) -> dg.SensorResult:
    scan = scan_inbox(raw_files.path, context.cursor, drop_folders=drop_folders())
    if not scan.new_files:
        return dg.SensorResult(skip_reason=dg.SkipReason("No new settled files in the inbox."), cursor=scan.cursor)
    run_key = hashlib.sha256("\n".join(scan.new_files).encode() + scan.cursor.encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                tags={"cx/new_files": str(len(scan.new_files)), "cx/first_new_file": scan.new_files[0]},
            )
        ],
        cursor=scan.cursor,
    )
