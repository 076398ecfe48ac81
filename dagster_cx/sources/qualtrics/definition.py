"""Mapping drafts from Qualtrics: from a survey definition (as the API returns it) or an export file's headers.

The definition is the better source: question types, choices and their recode values, matrix
statements and embedded-data fields. Qualtrics' own NPS question type is NPS for certain;
everything else is a guess, marked (surveys/draft.py).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from dagster_cx.contract import EMOTIONS
from dagster_cx.sources.qualtrics.export_file import read_export
from dagster_cx.sources.surveys.draft import (
    Draft,
    DraftQuestion,
    column_question,
    guess_measure,
    is_not_applicable,
)

# Qualtrics' response metadata (ImportIds) the mapping reads for certain.
CERTAIN_FIELDS = {"response_id": "_recordId", "answered_at": "recordedDate", "language": "userLanguage"}
METADATA = {"startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
            "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
            "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage"}
# Embedded-data fields that usually hold a response field, by name.
EMBEDDED_FIELDS = {
    "customer_id": re.compile(r"customer|client|klient|клиент", re.I),
    "contact_id": re.compile(r"contact|ticket|case", re.I),
    "channel": re.compile(r"channel|kanał|канал", re.I),
    "touchpoint_id": re.compile(r"touchpoint", re.I),
    "journey_stage": re.compile(r"stage", re.I),
    "sent_at": re.compile(r"sent|invited|invitation", re.I),
}
_INTENSITY = re.compile(r"strong|intens|silnie|сильно", re.I)


def draft_from_definition(definition: dict) -> Draft:
    """A draft from GET /API/v3/survey-definitions/{surveyId} (its whole answer or its `result`)."""
    survey = definition.get("result", definition)
    survey_id = survey["SurveyID"]
    questions: list[DraftQuestion] = []
    ordered = sorted(survey["Questions"].items(), key=lambda item: int(re.sub(r"\D", "", item[0]) or 0))
    for position, (qid, question) in enumerate(ordered):
        kind, text = question.get("QuestionType"), _plain(question.get("QuestionText", ""))
        if kind == "MC":
            questions.append(_choice_question(survey_id, qid, question, text, ordered[position + 1:]))
        elif kind == "Matrix":
            answers = _choices(question.get("Answers", {}), question.get("AnswerRecodeValues", {}))
            for choice_id, statement in question.get("Choices", {}).items():
                item = _plain(statement.get("Display", ""))
                questions.append(_scored(f"{qid}_{choice_id}", f"{survey_id}_{qid}_{choice_id}", item, answers))
        elif kind == "TE":
            questions.append(DraftQuestion(f"{qid}_TEXT", f"{survey_id}_{qid}", text, "comment",
                                           "a text entry question, so a comment"))
    intensity_columns = {q.extra.get("intensity_column") for q in questions}
    questions = [q for q in questions if q.column not in intensity_columns]
    embedded = _embedded_fields(survey.get("SurveyFlow", {}))
    return Draft(f"the Qualtrics survey definition of {survey_id} ({survey.get('SurveyName', '')})", "qualtrics",
                 survey_id, _fields(embedded), questions, {"qualtrics_survey_id": (survey_id, "")})


def draft_from_export(path: Path) -> Draft:
    """A draft from an "Export data" file: its texts and ImportIds, and the answers it holds."""
    export = read_export(path)
    questions, embedded = [], []
    for key in export.import_ids:
        if key.startswith("QID"):
            values = [r.get(key) or "" for r in export.records]
            question = column_question(key, export.texts[key], values, f"{path.stem}_{key}")
            questions += [question] if question else []
        elif key not in METADATA:
            embedded.append(key)
    settings = {} if export.time_zone else {"time_zone": ("UTC", "the zone the export's times are written in")}
    return Draft(f"the Qualtrics export {path.name}", "qualtrics", path.stem, _fields(embedded), questions, settings)


def _choice_question(survey_id: str, qid: str, question: dict, text: str, following: list) -> DraftQuestion:
    choices = _choices(question.get("Choices", {}), question.get("RecodeValues", {}))
    column, question_id = qid, f"{survey_id}_{qid}"
    if question.get("Selector") == "NPS":
        return DraftQuestion(column, question_id, text, "nps", "", scale=(0, 10), labels=_labels(choices),
                             not_applicable=_not_applicable(choices))
    emotions = {label: label.lower() for label, _ in choices if label.lower() in EMOTIONS}
    if emotions and len(emotions) == len(choices):
        intensity = next((other for other_id, other in following if other.get("QuestionType") == "MC"
                          and _INTENSITY.search(_plain(other.get("QuestionText", "")))), None)
        extra: dict[str, object] = {}
        if intensity is not None:
            levels = _choices(intensity.get("Choices", {}), intensity.get("RecodeValues", {}))
            extra = {"intensity_column": intensity["QuestionID"], "intensity_labels": _labels(levels)}
        labels = {**emotions, **{recode: label.lower() for label, recode in choices}}
        return DraftQuestion(column, question_id, text, "emotion", "every choice is one of Plutchik's emotions"
                             + ("; the next 'how strongly' question is its intensity" if extra else
                                "; name intensity_column, the question saying how strongly (1-3)"),
                             scale=(1, 3), labels=labels, extra=extra)
    return _scored(column, question_id, text, choices)


def _scored(column: str, question_id: str, text: str, choices: list[tuple[str, str]]) -> DraftQuestion:
    points = [int(recode) for label, recode in choices if not is_not_applicable(label) and _whole(recode)]
    if not points:
        return DraftQuestion(column, question_id, text, None, "its choices have no numeric recode values")
    measure, scale, guess = guess_measure(text, (min(points), max(points)))
    return DraftQuestion(column, question_id, text, measure, guess, scale=scale, labels=_labels(choices),
                         not_applicable=_not_applicable(choices))


def _choices(choices: dict, recodes: dict) -> list[tuple[str, str]]:
    """(label, recode value) of each choice; without a recode the choice id is the value, as Qualtrics exports."""
    return [(_plain(choice.get("Display", "")), str(recodes.get(choice_id, choice_id)))
            for choice_id, choice in choices.items()]


def _labels(choices: list[tuple[str, str]]) -> dict[str, int]:
    return {label: int(recode) for label, recode in choices if not is_not_applicable(label) and _whole(recode)}


def _not_applicable(choices: list[tuple[str, str]]) -> list[str]:
    return [text for label, recode in choices if is_not_applicable(label) for text in (label, recode)]


def _fields(embedded: list[str]) -> dict[str, tuple[object, str]]:
    fields: dict[str, tuple[object, str]] = {name: (key, "") for name, key in CERTAIN_FIELDS.items()}
    for name, pattern in EMBEDDED_FIELDS.items():
        match = next((field for field in embedded if pattern.search(field)), None)
        if match:
            fields[name] = (match, f"embedded data {match!r} by its name")
    fields.setdefault("customer_id", ("externalDataReference", "no customer field found: the external reference?"))
    if "channel" in fields:
        fields["channel"] = ({"column": fields["channel"][0], "values": {}},
                             f"{fields['channel'][1]}; map its values to the contract's channels under values")
    fields.setdefault("channel", ({"value": "web"}, "the channel of the experience rated"))
    return fields


def _embedded_fields(flow: object) -> list[str]:
    """Every embedded-data field the survey flow sets, in order."""
    if isinstance(flow, dict):
        own = [item["Field"] for item in flow.get("EmbeddedData", []) if "Field" in item]
        return own + [f for child in flow.get("Flow", []) for f in _embedded_fields(child)]
    return []


def _plain(text: str) -> str:
    """Question text without Qualtrics' HTML."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _whole(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+", text))
