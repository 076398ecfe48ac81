"""The one mapping from survey records onto the contract: questions, survey responses, survey answers.

A record is one response as a survey tool exported it (column or ImportId -> text), whatever
its source: a Qualtrics export file, the Qualtrics API, a wide export. Every record becomes
exactly one response row; every answered question column one answer row. What the mapping
cannot read (a label it has no value for, a time without an offset and no zone) becomes a
quarantine reason on that row (`_mapping_problem`), never a dropped row; responses left out on
purpose (previews, spam, unfinished, a rule of the mapping) and their answers are excluded with
why. A skipped question has no answer row; an "N/A" answer is excluded and counted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dagster_cx.contract import EMOTIONS, QUESTIONS, SURVEY_ANSWERS, SURVEY_RESPONSES
from dagster_cx.ingest.loader import EXCLUDE_REASON_COLUMN, MAPPING_PROBLEM_COLUMN, SOURCE_RECORD_COLUMN
from dagster_cx.sources.batches import Batch, text_table
from dagster_cx.sources.qualtrics.response_types import qualtrics_exclusion
from dagster_cx.sources.surveys.mapping import (
    TIMESTAMP_FIELDS,
    Question,
    Record,
    SurveyMapping,
    blank_to_none,
    normalised,
)

_HELD = (EXCLUDE_REASON_COLUMN, SOURCE_RECORD_COLUMN, MAPPING_PROBLEM_COLUMN)
RESPONSE_COLUMNS = (*SURVEY_RESPONSES.column_names, *_HELD)
ANSWER_COLUMNS = (*SURVEY_ANSWERS.column_names, *_HELD)
_LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2})([-_].*)?$")  # EN, en-GB, PT_BR -> en, en, pt


@dataclass(frozen=True)
class MappedRecords:
    responses: list[dict[str, str | None]]
    answers: list[dict[str, str | None]]


def question_batch(mapping: SurveyMapping, name: str) -> Batch:
    """The mapping's questions as catalog rows (one per question column), named after the mapping."""
    rows = [{
        "question_id": q.question_id, "question_text": q.text, "measure": q.measure, "construct": q.construct,
        "scale_min": q.scale[0] if q.scale else None, "scale_max": q.scale[1] if q.scale else None,
        "is_reverse_coded": q.reverse_coded,
    } for q in mapping.questions]
    return Batch("questions", name, text_table(rows, QUESTIONS.column_names), records_fetched=len(rows))


def record_batches(mapping: SurveyMapping, records: Sequence[Record], name: str,
                   export_zone: ZoneInfo | None = None) -> list[Batch]:
    """A responses batch (one row per record, checked against the record count) and an answers batch."""
    mapped = map_records(mapping, records, export_zone)
    return [
        Batch("survey_responses", name, text_table(mapped.responses, RESPONSE_COLUMNS), records_fetched=len(records)),
        Batch("survey_answers", name, text_table(mapped.answers, ANSWER_COLUMNS)),
    ]


def map_records(mapping: SurveyMapping, records: Sequence[Record], export_zone: ZoneInfo | None = None
                ) -> MappedRecords:
    """Responses and answers of the records; `export_zone` is the zone an export states for its times."""
    zone = export_zone or mapping.time_zone
    responses, answers = [], []
    for record in records:
        response, problems = _response(mapping, record, zone)
        excluded = _exclusion(mapping, record)
        responses.append({**response, EXCLUDE_REASON_COLUMN: excluded,
                          SOURCE_RECORD_COLUMN: json.dumps(record, ensure_ascii=False, sort_keys=True),
                          MAPPING_PROBLEM_COLUMN: "; ".join(problems) or None})
        for question in mapping.questions:
            answer = _answer(mapping, question, record)
            if answer is None:
                continue  # skipped: nothing was said, so there is no answer to keep
            answer["response_id"] = response["response_id"]
            if excluded:
                answer[EXCLUDE_REASON_COLUMN] = f"its response is left out: {excluded}"
            answers.append(answer)
    return MappedRecords(responses, answers)


def _response(mapping: SurveyMapping, record: Record, zone: ZoneInfo | None) -> tuple[dict, list[str]]:
    row = {"survey_id": mapping.survey_id.read(record), "survey_kind": mapping.survey_kind.read(record)}
    problems = []
    for name, source in mapping.response.items():
        value = source.read(record)
        if value is not None and name in TIMESTAMP_FIELDS:
            value, problem = instant(value, mapping.timestamp_format, zone, name)
            problems += [problem] if problem else []
        elif value is not None and name == "language":
            value = _language(value)
        row[name] = value
    return row, problems


def _exclusion(mapping: SurveyMapping, record: Record) -> str | None:
    """Why the response is left out, or None; the mapping's own rules first, then the tool's."""
    for rule in mapping.exclude_when:
        text = blank_to_none(record.get(rule.column))
        if text is not None and normalised(text) in rule.values:
            return f"{rule.reason} ({rule.column} = {text!r}, a rule in {mapping.path.name})"
    return qualtrics_exclusion(mapping, record) if mapping.format == "qualtrics" else None


def _answer(mapping: SurveyMapping, question: Question, record: Record) -> dict | None:
    text = blank_to_none(record.get(question.column))
    if text is None:
        return None
    held = {"question_id": question.question_id, "answer_value": None, "answer_text": None,
            SOURCE_RECORD_COLUMN: json.dumps({"column": question.column, "answer": text}, ensure_ascii=False),
            EXCLUDE_REASON_COLUMN: None, MAPPING_PROBLEM_COLUMN: None}
    if normalised(text) in question.not_applicable:
        held[EXCLUDE_REASON_COLUMN] = (f"answered {text!r} (not applicable): not a point of the scale, so in no "
                                       "score and no n")
        return held
    if question.measure == "comment":
        held["answer_text"] = text
        return held
    if question.measure == "emotion":
        return _emotion(mapping, question, record, text, held)
    held["answer_value"], held[MAPPING_PROBLEM_COLUMN] = _scale_value(mapping, question, question.column, text,
                                                                      question.labels)
    return held


def _emotion(mapping: SurveyMapping, question: Question, record: Record, text: str, held: dict) -> dict:
    """The emotion felt (answer_text) and how strongly (answer_value, from the intensity column)."""
    emotion = question.labels.get(normalised(text)) or (normalised(text) if normalised(text) in EMOTIONS else None)
    problems = [] if emotion else [f"{question.column} answer {text!r} is not an emotion: map it under labels to "
                                   f"one of {', '.join(EMOTIONS)} in {mapping.path.name} and re-run"]
    intensity = blank_to_none(record.get(question.intensity_column))
    held["answer_text"] = emotion or text
    if intensity is not None:
        held["answer_value"], problem = _scale_value(mapping, question, question.intensity_column, intensity,
                                                     question.intensity_labels)
        problems += [problem] if problem else []
    held[SOURCE_RECORD_COLUMN] = json.dumps({"column": question.column, "answer": text,
                                             "intensity_column": question.intensity_column,
                                             "intensity": intensity}, ensure_ascii=False)
    held[MAPPING_PROBLEM_COLUMN] = "; ".join(problems) or None
    return held


def _scale_value(mapping: SurveyMapping, question: Question, column: str, text: str,
                 labels: dict[str, str]) -> tuple[str | None, str | None]:
    """A point of the scale from a label of the mapping or the exported number itself (recode value)."""
    if normalised(text) in labels:
        return labels[normalised(text)], None
    if _is_number(text):
        return text, None
    return None, (f"{column} answer {text!r} is neither a number nor one of the labels of {question.question_id} in "
                  f"{mapping.path.name}: add it under labels (or not_applicable) and re-run")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def instant(text: str, timestamp_format: str | None, zone: ZoneInfo | None, name: str) -> tuple[str, str | None]:
    """An exported time as ISO 8601 with its UTC offset, or the text and why it cannot be one.

    A time without an offset is read on the export's (or the mapping's) zone; in the hour the
    clocks go back it names two instants, and the earlier is taken; in the hour they jump
    forward it names none, and the row is quarantined.
    """
    try:
        moment = datetime.strptime(text, timestamp_format) if timestamp_format else datetime.fromisoformat(text)
    except ValueError:
        shape = f"timestamp_format {timestamp_format!r}" if timestamp_format else "ISO 8601 (or set timestamp_format)"
        return text, f"{name} {text!r} does not read as {shape}"
    if moment.tzinfo is not None:
        return moment.isoformat(), None
    if zone is None:
        return text, (f"{name} {text!r} has no UTC offset and the mapping names no time_zone: add the zone the tool "
                      "exported in (e.g. time_zone: Europe/Warsaw) and re-run")
    local = moment.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        return text, f"{name} {text!r} does not exist in {zone.key} (the clocks jumped forward over it)"
    return local.isoformat(), None


def _language(text: str) -> str:
    """ISO 639-1 from a tool's language tag (EN, pl-PL, PT_BR); anything else as exported."""
    match = _LANGUAGE_TAG.match(text)
    return match.group(1).lower() if match else text
