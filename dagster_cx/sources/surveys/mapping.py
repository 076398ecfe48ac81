"""The survey mapping file: what each column of one survey's export holds, read from YAML.

Users write it (or check a draft, draft.py) instead of a converter. It is read whole before
any row is mapped, and every mistake names the file and the key to fix: a wrong mapping would
otherwise put wrong numbers in the marts. Values are written as the tool exports them; the
contract's own checks (scales, allowed values) still apply to what the mapping produces.

    format: qualtrics              # qualtrics: columns by ImportId (QID1, recordedDate...); wide: by header
    survey_id: {value: SV_1}       # a field: a column name, or {column, values, default}, {value} or {hash_of}
    survey_kind: {value: transactional}
    time_zone: Europe/Warsaw       # the zone of timestamps exported without an offset
    response: {response_id: _recordId, answered_at: recordedDate, customer_id: customer_id, channel: ...}
    questions:
      - {column: QID1, question_id: q_nps, text: How likely..., measure: nps, scale: [0, 10]}
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from dagster_cx.contract import EMOTIONS, MEASURES, SURVEY_RESPONSES

FORMATS = ("qualtrics", "wide")
# The response's contract columns a mapping fills, besides survey_id and survey_kind.
RESPONSE_FIELDS = tuple(c for c in SURVEY_RESPONSES.column_names if c not in ("survey_id", "survey_kind"))
REQUIRED_RESPONSE_FIELDS = ("response_id", "customer_id", "channel", "answered_at")
TIMESTAMP_FIELDS = ("sent_at", "answered_at")
HASHED_ID_PREFIX = "h_"  # response ids made from a row's content ({hash_of: [...]}) start with it

_TOP_KEYS = {"format", "survey_id", "survey_kind", "qualtrics_survey_id", "time_zone", "timestamp_format",
             "header_rows", "delimiter", "encoding", "exclude_previews", "exclude_spam", "exclude_unfinished",
             "exclude_when", "response", "questions", "draft"}
_FIELD_KEYS = {"column", "value", "values", "default", "hash_of"}
_QUESTION_KEYS = {"column", "question_id", "text", "measure", "construct", "scale", "reverse_coded", "labels",
                  "not_applicable", "intensity_column", "intensity_labels"}
_RULE_KEYS = {"column", "values", "reason"}

Record = Mapping[str, str | None]  # one response as exported: column (or ImportId) -> text, None = empty


class MappingError(ValueError):
    """A survey mapping that cannot be used as written; the message names the file and the key."""


class MappingLoader(yaml.SafeLoader):
    """YAML where only true and false are booleans: labels such as Yes, No, On and Off stay text."""


MappingLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
MappingLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def normalised(text: str) -> str:
    """How labels and values are compared: case and surrounding spaces do not matter."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Field:
    """Where one response value comes from: a column (its values optionally recoded), a constant, or a hash."""

    column: str | None = None
    value: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)  # normalised exported text -> contract value
    default: str | None = None
    hash_of: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.hash_of or ((self.column,) if self.column else ())

    def read(self, record: Record) -> str | None:
        """The field's text for one response (None when empty and no default)."""
        if self.value is not None:
            return self.value
        if self.hash_of:
            # Tools without a response id (Google Forms): the same row exported again gets the same id.
            content = "\x1f".join(record.get(name) or "" for name in self.hash_of)
            return HASHED_ID_PREFIX + hashlib.sha256(content.encode()).hexdigest()[:20]
        text = blank_to_none(record.get(self.column))
        if text is None:
            return self.default
        return self.values.get(normalised(text), text)


@dataclass(frozen=True)
class Question:
    """One question column: which catalog question it answers, what it measures, and how its text reads."""

    column: str
    question_id: str
    text: str
    measure: str
    construct: str | None = None
    scale: tuple[int, int] | None = None
    reverse_coded: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)  # normalised label -> value (emotion: its name)
    not_applicable: frozenset[str] = frozenset()  # normalised answers that mean "does not apply"
    intensity_column: str | None = None  # emotion: the column holding how strongly (1-3)
    intensity_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExcludeRule:
    """Responses whose column holds one of these values are left out, counted, with the reason."""

    column: str
    values: frozenset[str]
    reason: str


@dataclass(frozen=True)
class SurveyMapping:
    path: Path
    format: str
    survey_id: Field
    survey_kind: Field
    response: Mapping[str, Field]
    questions: tuple[Question, ...]
    time_zone: ZoneInfo | None = None
    timestamp_format: str | None = None
    qualtrics_survey_id: str | None = None
    header_rows: int = 1
    delimiter: str | None = None
    encoding: str | None = None
    exclude_previews: bool = True
    exclude_spam: bool = True
    exclude_unfinished: bool = True
    exclude_when: tuple[ExcludeRule, ...] = ()

    @property
    def columns(self) -> set[str]:
        """Every column the mapping reads: an export lacking one of them cannot be mapped."""
        fields = (self.survey_id, self.survey_kind, *self.response.values())
        used = {name for f in fields for name in f.columns}
        used |= {q.column for q in self.questions} | {q.intensity_column for q in self.questions if q.intensity_column}
        return used | {rule.column for rule in self.exclude_when}


def load_mapping(path: Path) -> SurveyMapping:
    """Read and check a mapping file; MappingError says what to fix."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=MappingLoader)  # noqa: S506 (a safe loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot read the survey mapping ({error}); fix the file and re-run.") from error
    return parse_mapping(document, path)


def parse_mapping(document: object, path: Path) -> SurveyMapping:
    """A mapping from its parsed YAML document (`path` names it in errors)."""
    where = _Where(path)
    top = where.mapping(document, "the file", _TOP_KEYS)
    if top.get("draft"):
        raise MappingError(f"{path} is still a draft: check every line marked GUESS, correct what is wrong, then "
                           "delete the line `draft: true` and re-run.")
    kind = top.get("format")
    if kind not in FORMATS:
        raise MappingError(f"{path}: format must be one of {', '.join(FORMATS)}, not {kind!r}.")
    response = where.mapping(top.get("response"), "response", set(RESPONSE_FIELDS))
    missing = [name for name in REQUIRED_RESPONSE_FIELDS if name not in response]
    if missing:
        raise MappingError(f"{path}: response needs {', '.join(missing)} (the contract requires them); name the "
                           "column that holds each, or give a constant as {value: ...}.")
    for name in ("survey_id", "survey_kind"):
        if name not in top:
            raise MappingError(f"{path}: {name} is missing; give a column or a constant such as {{value: ...}}.")
    questions = top.get("questions") or []
    if not isinstance(questions, list) or not questions:
        raise MappingError(f"{path}: questions must be a list with at least one question column.")
    parsed = tuple(where.question(item, i) for i, item in enumerate(questions))
    repeated = {q.question_id for q in parsed if sum(p.question_id == q.question_id for p in parsed) > 1}
    if repeated:
        raise MappingError(f"{path}: question_id {', '.join(sorted(repeated))} is given to more than one column; "
                           "a response answers a catalog question once.")
    header_rows = top.get("header_rows", 1)
    if kind == "wide" and (not isinstance(header_rows, int) or header_rows < 1):
        raise MappingError(f"{path}: header_rows must be a whole number >= 1, not {header_rows!r}.")
    return SurveyMapping(
        path=path,
        format=kind,
        survey_id=where.field(top["survey_id"], "survey_id"),
        survey_kind=where.field(top["survey_kind"], "survey_kind"),
        response={name: where.field(spec, f"response.{name}") for name, spec in response.items()},
        questions=parsed,
        time_zone=where.zone(top.get("time_zone")),
        timestamp_format=_optional_text(top.get("timestamp_format")),
        qualtrics_survey_id=_optional_text(top.get("qualtrics_survey_id")),
        header_rows=header_rows if kind == "wide" else 3,
        delimiter=_optional_text(top.get("delimiter")),
        encoding=_optional_text(top.get("encoding")),
        exclude_previews=where.flag(top, "exclude_previews"),
        exclude_spam=where.flag(top, "exclude_spam"),
        exclude_unfinished=where.flag(top, "exclude_unfinished"),
        exclude_when=tuple(where.rule(item, i) for i, item in enumerate(top.get("exclude_when") or [])),
    )


def blank_to_none(text: object) -> str | None:
    """Exported text with empty cells as None; numbers and booleans from JSON as their text."""
    if text is None:
        return None
    if isinstance(text, bool):
        return "1" if text else "0"
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    text = str(text).strip()
    return text or None


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class _Where:
    """Parses the parts of one mapping file, naming the file and the key in every error."""

    path: Path

    def fail(self, where: str, problem: str) -> MappingError:
        return MappingError(f"{self.path}: {where}: {problem}; fix the mapping and re-run.")

    def mapping(self, value: object, where: str, allowed: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping of keys, found {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        return value

    def field(self, spec: object, where: str) -> Field:
        if isinstance(spec, str):
            return Field(column=spec)
        spec = self.mapping(spec, where, _FIELD_KEYS)
        sources = [k for k in ("column", "value", "hash_of") if k in spec]
        if len(sources) != 1:
            raise self.fail(where, "give exactly one of column, value or hash_of")
        hash_of = spec.get("hash_of") or []
        if "hash_of" in spec and (not isinstance(hash_of, list) or not hash_of):
            raise self.fail(where, "hash_of must list the columns whose content identifies a response")
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            raise self.fail(where, "values must map each exported text to the value to store")
        return Field(
            column=_optional_text(spec.get("column")),
            value=_optional_text(spec.get("value")),
            values={normalised(str(k)): str(v) for k, v in values.items()},
            default=_optional_text(spec.get("default")),
            hash_of=tuple(str(c) for c in hash_of),
        )

    def question(self, item: object, index: int) -> Question:
        where = f"questions[{index}]"
        spec = self.mapping(item, where, _QUESTION_KEYS)
        for key in ("column", "question_id", "text", "measure"):
            if not spec.get(key):
                raise self.fail(where, f"{key} is missing")
        where = f"questions[{index}] ({spec['column']})"
        measure = spec["measure"]
        if measure not in MEASURES:
            raise self.fail(where, f"measure {measure!r} is not one of {', '.join(MEASURES)}")
        scale = spec.get("scale")
        if scale is not None and not (isinstance(scale, list) and len(scale) == 2
                                      and all(isinstance(v, int) for v in scale)):
            raise self.fail(where, f"scale must be [lowest, highest] whole numbers, not {scale!r}")
        if measure != "comment" and scale is None:
            raise self.fail(where, f"a {measure} question needs its scale, e.g. [1, 5]")
        labels = {normalised(str(k)): str(v) for k, v in (spec.get("labels") or {}).items()}
        if measure == "emotion":
            wrong = sorted({v for v in labels.values() if v not in EMOTIONS})
            if wrong:
                raise self.fail(where, f"emotion labels must map to one of {', '.join(EMOTIONS)}, not {', '.join(wrong)}")
            if not spec.get("intensity_column"):
                raise self.fail(where, "an emotion question needs intensity_column, the column saying how strongly (1-3)")
        return Question(
            column=str(spec["column"]),
            question_id=str(spec["question_id"]),
            text=str(spec["text"]),
            measure=measure,
            construct=_optional_text(spec.get("construct")),
            scale=tuple(scale) if scale else None,
            reverse_coded=bool(spec.get("reverse_coded", False)),
            labels=labels,
            not_applicable=frozenset(normalised(str(v)) for v in spec.get("not_applicable") or []),
            intensity_column=_optional_text(spec.get("intensity_column")),
            intensity_labels={normalised(str(k)): str(v) for k, v in (spec.get("intensity_labels") or {}).items()},
        )

    def rule(self, item: object, index: int) -> ExcludeRule:
        where = f"exclude_when[{index}]"
        spec = self.mapping(item, where, _RULE_KEYS)
        if not spec.get("column") or not spec.get("values") or not spec.get("reason"):
            raise self.fail(where, "give column, values (a list) and reason")
        return ExcludeRule(str(spec["column"]), frozenset(normalised(str(v)) for v in spec["values"]),
                           str(spec["reason"]))

    def zone(self, name: object) -> ZoneInfo | None:
        if name is None:
            return None
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise self.fail("time_zone", f"{name!r} is not an IANA time zone such as Europe/Warsaw") from error

    def flag(self, top: dict, key: str) -> bool:
        value = top.get(key, True)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value
