"""The sample's surveys as Qualtrics shapes them: an "Export data" file with its mapping, and fake-API fixtures.

Reads the contract-shaped questions, responses and answers of a data folder (the generator's
output, or any) and writes one Qualtrics survey holding the whole question catalog:
- survey_exports/cx_sample/: the survey's mapping and its export in numeric form, three header
  rows, times on the export's clock (Europe/Warsaw by default), UTF-8 with a byte-order mark;
- qualtrics_api/: the survey definition and the responses as the API's JSON export
  (`{"responses": [...]}`, times in UTC), and the same mapping naming the survey's id.
The same responses loaded through either give the marts the contract files give. Qualtrics
would add previews, spam and unfinished responses: three are added, which the mapping
excludes. The response fields the contract has and Qualtrics lacks travel as embedded data;
each response keeps its contract id as Qualtrics' response id. Answers to questions outside
the catalog (the generator plants one) have no column and are not written.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import yaml

from dagster_cx.contract import EMOTIONS

SURVEY_ENTITIES = ("questions", "survey_responses", "survey_answers")
SURVEY_ID = "SV_cxSample0000001"
SURVEY_NAME = "CX sample survey"
FOLDER = "cx_sample"
EXPORT_FILE = "CX_sample_survey.csv"
# Contract fields Qualtrics has no place for travel as embedded data (sent_at as invited_at).
EMBEDDED = ("survey_id", "survey_kind", "customer_id", "contact_id", "channel", "touchpoint_id", "journey_stage",
            "invited_at")
INTENSITIES = ("A little", "Quite strongly", "Very strongly")
METADATA = (("StartDate", "Start Date", "startDate"), ("EndDate", "End Date", "endDate"),
            ("Status", "Response Type", "status"), ("Progress", "Progress", "progress"),
            ("Finished", "Finished", "finished"), ("RecordedDate", "Recorded Date", "recordedDate"),
            ("ResponseId", "Response ID", "_recordId"), ("DistributionChannel", "Distribution Channel",
                                                         "distributionChannel"),
            ("UserLanguage", "User Language", "userLanguage"))
TIMES = {"startDate", "endDate", "recordedDate"}
# Responses Qualtrics keeps that are no real answers: (id, status, channel, finished, progress).
NOT_REAL = (("R_preview_1", 1, "preview", 1, 100), ("R_spam_1", 8, "anonymous", 1, 100),
            ("R_unfinished_1", 0, "email", 0, 40))


@dataclass(frozen=True)
class _Column:
    import_id: str  # QID3, QID21_TEXT
    name: str  # the export's first header row: Q3, Q21
    text: str
    question: dict  # the catalog row it answers
    role: str  # value, emotion, intensity or comment


def surveys_as_qualtrics(data_dir: Path) -> list[Path]:
    """Replace a generated folder's survey files by their Qualtrics shapes (`cx-warehouse generate --format qualtrics`).

    The contract's survey folders go, so a build reads the surveys from the export alone; the
    manifest says so (its survey entries describe the data the export was written from).
    """
    files = write_qualtrics(data_dir, data_dir)
    for entity in SURVEY_ENTITIES:
        shutil.rmtree(data_dir / entity)
    manifest_path = data_dir / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["surveys_as"] = {"format": "qualtrics", "files": [str(p.relative_to(data_dir)) for p in files]}
    manifest_path.write_text(json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    return files


def write_qualtrics(data_dir: Path, out_dir: Path, time_zone: str = "Europe/Warsaw") -> list[Path]:
    """Write the Qualtrics export, its mapping and the fake-API fixtures of data_dir's surveys; returns the files."""
    questions, responses, answers = _read_surveys(data_dir)
    columns = _columns(questions)
    records = [_record(r, answers.get(r["response_id"], {}), columns) for r in responses]
    records += _not_real(records[0]) if records else []
    mapping = _mapping(columns)
    export_dir, api_dir = out_dir / "survey_exports" / FOLDER, out_dir / "qualtrics_api"
    (api_dir / "mappings").mkdir(parents=True, exist_ok=True)
    export_dir.mkdir(parents=True, exist_ok=True)
    files = {
        export_dir / "mapping.yml": _yaml(mapping),
        export_dir / EXPORT_FILE: _export_csv(records, columns, ZoneInfo(time_zone)),
        api_dir / "mappings" / f"{FOLDER}.yml": _yaml({**mapping, "qualtrics_survey_id": SURVEY_ID}),
        api_dir / f"{SURVEY_ID}_definition.json": json.dumps(_definition(columns), indent=1, ensure_ascii=False),
        api_dir / f"{SURVEY_ID}_responses.json": json.dumps({"responses": [_api_response(r) for r in records]},
                                                            ensure_ascii=False),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8-sig" if path.suffix == ".csv" else "utf-8")
    return list(files)


def _read_surveys(data_dir: Path) -> tuple[list[dict], list[dict], dict[str, dict[str, dict]]]:
    """The catalog, the responses and each response's answers (the newest version of each key, as staging keeps)."""
    with duckdb.connect() as con:
        def rows(entity: str, key: str) -> list[dict]:
            files = sorted((data_dir / entity).glob("*.csv")) + sorted((data_dir / entity).glob("*.parquet"))
            read = [f"select * from read_csv('{f}', all_varchar = true)" if f.suffix == ".csv"
                    else f"select columns(*)::varchar from read_parquet('{f}')" for f in files]
            relation = con.sql(" union all by name ".join(f"({sql})" for sql in read))
            table = relation.fetchall()
            names = relation.columns
            newest = {}
            for row in table:
                record = dict(zip(names, row, strict=True))
                newest[tuple(record[k] for k in key.split(","))] = record
            return list(newest.values())

        questions = rows("questions", "question_id")
        responses = rows("survey_responses", "response_id")
        answers: dict[str, dict[str, dict]] = {}
        for answer in rows("survey_answers", "response_id,question_id"):
            answers.setdefault(answer["response_id"], {})[answer["question_id"]] = answer
    return questions, responses, answers


def _columns(questions: list[dict]) -> list[_Column]:
    columns, number = [], 0
    for question in questions:
        number += 1
        if question["measure"] == "comment":
            columns.append(_Column(f"QID{number}_TEXT", f"Q{number}", question["question_text"], question, "comment"))
        elif question["measure"] == "emotion":
            columns.append(_Column(f"QID{number}", f"Q{number}", question["question_text"], question, "emotion"))
            number += 1
            columns.append(_Column(f"QID{number}", f"Q{number}", "How strongly did you feel it?", question,
                                   "intensity"))
        else:
            columns.append(_Column(f"QID{number}", f"Q{number}", question["question_text"], question, "value"))
    return columns


def _record(response: dict, answers: dict[str, dict], columns: list[_Column]) -> dict[str, object]:
    """One response as Qualtrics' values: metadata, answers by ImportId, embedded data."""
    answered = response["answered_at"]
    record: dict[str, object] = {"startDate": answered, "endDate": answered, "status": 0, "progress": 100,
                                 "finished": 1, "recordedDate": answered, "_recordId": response["response_id"],
                                 "distributionChannel": "email",
                                 "userLanguage": (response["language"] or "").upper() or None}
    for column in columns:
        answer = answers.get(column.question["question_id"])
        if answer is not None:
            record[column.import_id] = _answer(answer, column.role)
    record.update({name: response.get("sent_at" if name == "invited_at" else name) for name in EMBEDDED})
    return {key: value for key, value in record.items() if value is not None}


def _answer(answer: dict, role: str) -> object:
    if role == "comment":
        return answer["answer_text"]
    if role == "emotion":
        return EMOTIONS.index(answer["answer_text"]) + 1 if answer["answer_text"] in EMOTIONS else answer["answer_text"]
    value = answer["answer_value"]
    return int(float(value)) if value is not None and float(value).is_integer() else value


def _not_real(template: dict) -> list[dict]:
    return [{**template, "_recordId": rid, "status": status, "distributionChannel": channel, "finished": finished,
             "progress": progress} for rid, status, channel, finished, progress in NOT_REAL]


def _mapping(columns: list[_Column]) -> dict:
    fields = {name: name for name in EMBEDDED if name not in ("survey_id", "survey_kind", "invited_at")}
    questions = []
    for column in columns:
        question = column.question
        if column.role == "intensity":
            continue
        entry = {"column": column.import_id, "question_id": question["question_id"], "text": question["question_text"],
                 "measure": question["measure"]}
        if question["construct"]:
            entry["construct"] = question["construct"]
        if question["scale_min"] is not None:
            entry["scale"] = [int(question["scale_min"]), int(question["scale_max"])]
        if question["is_reverse_coded"] == "true":
            entry["reverse_coded"] = True
        if column.role == "emotion":
            entry["labels"] = {number: emotion for number, emotion in enumerate(EMOTIONS, start=1)}
            entry["intensity_column"] = next(c.import_id for c in columns
                                             if c.question is question and c.role == "intensity")
        questions.append(entry)
    return {"format": "qualtrics", "survey_id": {"column": "survey_id"}, "survey_kind": {"column": "survey_kind"},
            "response": {"response_id": "_recordId", "answered_at": "recordedDate", "sent_at": "invited_at",
                         **fields, "language": "userLanguage"},
            "questions": questions}


def _export_csv(records: list[dict], columns: list[_Column], zone: ZoneInfo) -> str:
    """The "Export data" CSV: names, texts, ImportIds (times' with their zone), then one row per response."""
    header = [*METADATA, *((c.name, c.text, c.import_id) for c in columns), *((n, n, n) for n in EMBEDDED)]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([name for name, _, _ in header])
    writer.writerow([text for _, text, _ in header])
    writer.writerow([json.dumps({"ImportId": key, **({"timeZone": zone.key} if key in TIMES else {})},
                                separators=(",", ":")) for _, _, key in header])
    for record in records:
        writer.writerow([_local(record.get(key), zone) if key in TIMES else _cell(record.get(key))
                         for _, _, key in header])
    return out.getvalue()


def _local(instant: object, zone: ZoneInfo) -> str:
    """An instant on the export's clock, as Qualtrics writes it (no offset); refuses a time the clock shows twice."""
    if instant is None:
        return ""
    moment = datetime.fromisoformat(str(instant)).astimezone(zone)
    other_fold = moment.replace(fold=1 - moment.fold)
    if other_fold.utcoffset() != moment.utcoffset():
        raise ValueError(f"{instant} falls in the hour {zone.key}'s clocks show twice; write the export in UTC.")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _api_response(record: dict) -> dict:
    """A response as the API's JSON export holds it: values by ImportId, times in UTC."""
    values = {key: (datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if key in TIMES else value) for key, value in record.items()}
    return {"responseId": record["_recordId"], "values": values, "labels": {},
            "displayedFields": sorted(k for k in values if k.startswith("QID")), "displayedValues": {}}


def _definition(columns: list[_Column]) -> dict:
    """The survey definition: one question per catalog question, choices recoded to their scale points."""
    questions = {}
    for column in columns:
        qid = column.import_id.removesuffix("_TEXT")
        question = {"QuestionID": qid, "DataExportTag": column.name, "QuestionText": column.text}
        if column.role == "comment":
            question.update(QuestionType="TE", Selector="ML")
        elif column.role == "emotion":
            question.update(QuestionType="MC", Selector="SAVR",
                            Choices={str(i): {"Display": e.title()} for i, e in enumerate(EMOTIONS, start=1)})
        elif column.role == "intensity":
            question.update(QuestionType="MC", Selector="SAVR",
                            Choices={str(i): {"Display": t} for i, t in enumerate(INTENSITIES, start=1)})
        else:
            low, high = int(column.question["scale_min"]), int(column.question["scale_max"])
            question.update(QuestionType="MC", Selector="NPS" if column.question["measure"] == "nps" else "SAVR",
                            Choices={str(p): {"Display": str(p)} for p in range(low, high + 1)})
        questions[qid] = question
    return {"SurveyID": SURVEY_ID, "SurveyName": SURVEY_NAME, "SurveyStatus": "Active",
            "LastModified": "2026-01-01T00:00:00Z", "Questions": questions,
            "SurveyFlow": {"Type": "Root", "Flow": [{"Type": "EmbeddedData",
                                                      "EmbeddedData": [{"Field": f} for f in EMBEDDED]}]}}


def _yaml(document: dict) -> str:
    header = "# The sample survey's mapping, written by dagster_cx.sample.qualtrics (README: 'Connect your survey tool').\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
