"""Which Qualtrics responses are not real answers: previews and tests, spam, unfinished responses.

Qualtrics marks them in its metadata (ImportIds `status`, `distributionChannel`, `finished`,
`progress`), numerically or by label depending on the export; both forms are read. What a
mapping leaves out is counted as excluded with the reason, never dropped.
"""

from __future__ import annotations

from dagster_cx.sources.surveys.mapping import Record, SurveyMapping, blank_to_none, normalised

# Qualtrics' response types: the `status` value, as a number and as the label of a labelled export.
PREVIEW_STATUSES = {"1": "Survey Preview", "2": "Survey Test", "17": "Offline Survey Preview"}
SPAM_STATUSES = {"8": "Spam", "9": "Survey Preview Spam", "12": "Imported Spam"}
PREVIEW_CHANNELS = {"preview", "test"}
UNFINISHED = {"0", "false"}


def qualtrics_exclusion(mapping: SurveyMapping, record: Record) -> str | None:
    """Why a response is left out under the mapping's exclude_* switches (all on by default), or None."""
    status = blank_to_none(record.get("status")) or ""
    channel = normalised(blank_to_none(record.get("distributionChannel")) or "")
    if mapping.exclude_previews and (_is(status, PREVIEW_STATUSES) or channel in PREVIEW_CHANNELS):
        return f"a survey preview or test (Qualtrics status {status!r}, channel {channel!r}); exclude_previews is on"
    if mapping.exclude_spam and _is(status, SPAM_STATUSES):
        return f"marked as spam by Qualtrics (status {status!r}); exclude_spam is on"
    finished = normalised(blank_to_none(record.get("finished")) or "")
    if mapping.exclude_unfinished and finished in UNFINISHED:
        progress = blank_to_none(record.get("progress"))
        return f"unfinished (Finished = {finished}, progress {progress}%); exclude_unfinished is on"
    return None


def _is(status: str, kinds: dict[str, str]) -> bool:
    return status in kinds or normalised(status) in {normalised(label) for label in kinds.values()}
