"""Qualtrics' asynchronous response export: start it, poll its progress, download and unpack the file.

The one part of the API dlt has no helper for. An export started with `allowContinuation`
(or with the continuation token of the previous one) ends with a new continuation token: the
next export then holds only the responses recorded or changed since. The caller keeps the
token in dlt's state, committed with the responses it came with.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

from dlt.sources.helpers.rest_client import RESTClient

from dagster_cx.sources.qualtrics.client import QualtricsError, QualtricsSettings, result_of


def export_responses(api: RESTClient, settings: QualtricsSettings, survey_id: str,
                     continuation_token: str | None) -> tuple[list[dict], str | None]:
    """Every response since the token (all of them without one), in Qualtrics' JSON shape, and the next token."""
    body: dict[str, object] = {"format": "json"}
    body.update({"continuationToken": continuation_token} if continuation_token else {"allowContinuation": True})
    path = f"/surveys/{survey_id}/export-responses"
    started = result_of(api.post(path, json=body), f"starting the response export of {survey_id}")
    progress = _wait_until_done(api, settings, survey_id, started["progressId"])
    download = api.get(f"{path}/{progress['fileId']}/file")
    if not download.ok:
        result_of(download, f"downloading the response export of {survey_id}")
    return _unpack(download.content, survey_id), progress.get("continuationToken")


def _wait_until_done(api: RESTClient, settings: QualtricsSettings, survey_id: str, progress_id: str) -> dict:
    """Poll the export until it is complete; a failed or endless export raises, saying what to do."""
    deadline = time.monotonic() + settings.export_timeout_seconds
    what = f"the progress of response export {progress_id} of {survey_id}"
    while True:
        response = api.get(f"/surveys/{survey_id}/export-responses/{progress_id}")
        progress = result_of(response, what)
        if progress.get("status") == "complete":
            return progress
        if progress.get("status") == "failed":
            request = response.json().get("meta", {}).get("requestId", "unknown")
            raise QualtricsError(f"Qualtrics could not export the responses of {survey_id} (export {progress_id} "
                                 f"failed, request id {request}). Nothing of this run was kept and the last committed "
                                 "position stays, so re-running loses nothing; if it keeps failing, give Qualtrics "
                                 "support the request id.")
        if time.monotonic() > deadline:
            raise QualtricsError(f"The response export of {survey_id} was still running after "
                                 f"{settings.export_timeout_seconds:.0f} s ({progress.get('percentComplete')}% done); "
                                 "re-run later, nothing of this run was kept.")
        time.sleep(settings.poll_seconds)


def _unpack(content: bytes, survey_id: str) -> list[dict]:
    """The responses of the zipped JSON file an export downloads as."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            [name] = [n for n in archive.namelist() if n.lower().endswith(".json")]
            return json.loads(archive.read(name))["responses"]
    except (zipfile.BadZipFile, ValueError, KeyError) as error:
        raise QualtricsError(f"The response export of {survey_id} did not download as a zipped JSON file of "
                             f"responses ({error}); re-run, nothing of this run was kept.") from error
