"""A mapping drafted from a wide export: its columns' names for the response fields, its answers for the questions."""

from __future__ import annotations

import re
from pathlib import Path

from dagster_cx.sources.surveys.draft import Draft, column_question, slug, timestamp_format
from dagster_cx.sources.surveys.wide_files import read_wide

# Column names that usually hold a response field, by tool (SurveyMonkey, Google Forms, Typeform, Medallia...).
FIELD_COLUMNS = {
    "response_id": re.compile(r"^(respondent id|response id|responseid|submission id|network id|id|#)$", re.I),
    "answered_at": re.compile(r"end date|submitted|submit date|timestamp|completed|recorded date|response date", re.I),
    "customer_id": re.compile(r"custom data 1|customer|client|klient|клиент|account", re.I),
    "contact_id": re.compile(r"contact id|ticket|case id|interaction id", re.I),
    "channel": re.compile(r"channel|kanał|канал", re.I),
    "language": re.compile(r"^(language|lang|język|язык)", re.I),
    "touchpoint_id": re.compile(r"touchpoint", re.I),
}
# SurveyMonkey's second header row over a plain answer: not part of the question's wording.
_ANSWER_HEADER = re.compile(r" / (Response|Open-Ended Response)$")
# Metadata a wide export carries that is not a question.
_METADATA = re.compile(r"^(start date|ip address|email|e-mail|first name|last name|collector id|network id|"
                       r"custom data \d|user agent|tags|score)", re.I)


def draft_from_wide(path: Path, header_rows: int = 1) -> Draft:
    """Guess the response fields from the header, and each remaining column's question from its answers."""
    export = read_wide(path, header_rows)
    found: dict[str, str] = {}
    for name, pattern in FIELD_COLUMNS.items():
        match = next((c for c in export.columns if pattern.search(c) and c not in found.values()), None)
        if match:
            found[name] = match
    fields = {name: (column, f"column {column!r} by its name") for name, column in found.items()}
    if "response_id" not in found:
        identity = [c for c in (found.get("answered_at"), _first(export.columns, "email")) if c]
        fields["response_id"] = ({"hash_of": identity}, "no id column: the same row exported again gets the same id")
    if "channel" not in found:
        fields["channel"] = ({"value": "web"}, "the channel of the experience rated")
    elif "channel" in fields:
        fields["channel"] = ({"column": found["channel"], "values": {}}, "map the tool's channel names under values")
    taken: set[str] = set()
    questions = []
    for column in export.columns:
        if column in found.values() or _METADATA.search(column):
            continue
        text = _ANSWER_HEADER.sub("", column)
        question = column_question(column, text, [r.get(column) or "" for r in export.records], slug(text, taken))
        if question:
            questions.append(question)
    times = [r.get(found["answered_at"]) or "" for r in export.records] if "answered_at" in found else []
    settings = {"header_rows": (header_rows, "")}
    if fmt := timestamp_format(times):
        settings["timestamp_format"] = (fmt, "read from the exported times (check day and month order)")
    settings["time_zone"] = ("UTC", "the zone the tool wrote its times in (tools export without an offset)")
    return Draft(f"the wide export {path.name}", "wide", path.stem, fields, questions, settings)


def _first(columns: list[str], word: str) -> str | None:
    return next((c for c in columns if word in c.lower()), None)
