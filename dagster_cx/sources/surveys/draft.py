"""A first survey mapping drafted from what a source says about itself, for the user to check.

From a Qualtrics survey definition (qualtrics/definition.py), a Qualtrics export's header or a
wide export's header and values, the draft guesses what each column holds: an 11-point 0-10
item asking about recommending is NPS, a satisfaction item CSAT, an ease item on 7 points CES,
free text a comment, and which columns hold the response id, time and customer. Every guess
carries a `# GUESS:` comment saying what it was guessed from; columns it cannot place (an
agreement item: which Force or Pillar?) are listed commented out. The draft starts with
`draft: true`, which the loader refuses until the user has checked it and deleted the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dagster_cx.contract import CSAT_SCALES, EMOTIONS, FIXED_SCALES

_RECOMMEND = re.compile(r"recommend|empfehl|polec|рекоменд", re.IGNORECASE)
_SATISFIED = re.compile(r"satisf|zadowol|доволь|удовлетвор", re.IGNORECASE)
_EASY = re.compile(r"\beasy\b|\beasier\b|effort|łatw|легко|просто", re.IGNORECASE)
_NUMBERED = re.compile(r"^(-?\d+)(\.0+)?(\s*[-–:]\s*\S.*)?$")
_NOT_APPLICABLE = re.compile(r"^(n/?a|not applicable|does not apply|don'?t know|nie dotyczy|nie wiem|"
                             r"не знаю|не применимо|prefer not to (say|answer))$", re.IGNORECASE)
# Ordered answer labels tools use, lowest first: a column holding only labels of one of them is on its scale.
LABEL_SCALES: tuple[tuple[str, ...], ...] = (
    ("Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Agree",
     "Strongly agree"),
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied", "Very satisfied"),
    ("Extremely dissatisfied", "Somewhat dissatisfied", "Neither satisfied nor dissatisfied", "Somewhat satisfied",
     "Extremely satisfied"),
    ("Dissatisfied", "Neutral", "Satisfied"),
    ("No", "Yes"),
    ("Bad", "Good"),
)
TIMESTAMP_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y/%m/%d %I:%M:%S %p",
                     "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")


@dataclass
class DraftQuestion:
    column: str
    question_id: str
    text: str
    measure: str | None  # None: not placed; written commented out
    guess: str  # why, in words; "" when certain (Qualtrics' own NPS question type)
    scale: tuple[int, int] | None = None
    labels: dict[str, int | str] = field(default_factory=dict)
    not_applicable: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)  # further keys: intensity_column, intensity_labels


@dataclass
class Draft:
    source: str  # what it was drafted from, for the header comment
    format: str
    survey_id: str
    fields: dict[str, tuple[object, str]]  # response field -> (field spec, guess or "")
    questions: list[DraftQuestion]
    settings: dict[str, tuple[object, str]] = field(default_factory=dict)  # time_zone, header_rows...


def guess_measure(text: str, scale: tuple[int, int], observed: bool = False
                  ) -> tuple[str | None, tuple[int, int], str]:
    """What a question measures from its wording and scale, on which scale, and the guess in words.

    `observed`: the scale is only the points an export's answers used, so a headline measure's
    scale need only contain it; otherwise (a definition's choices) it must be that scale.
    """
    def fits(candidate: tuple[int, int]) -> bool:
        return candidate[0] <= scale[0] and scale[1] <= candidate[1] if observed else candidate == scale

    nps, ces = FIXED_SCALES["nps"], FIXED_SCALES["ces"]
    if _RECOMMEND.search(text) and fits(nps):
        return "nps", nps, "a 0-10 item asking about recommending"
    if _EASY.search(text) and fits(ces):
        return "ces", ces, "an item about ease or effort, on 1-7"
    fitting = next((s for s in CSAT_SCALES if fits(s)), None)
    if _SATISFIED.search(text) and fitting:
        return "csat", fitting, f"an item asking about satisfaction, on {fitting[0]}-{fitting[1]}"
    return None, scale, (f"on {scale[0]}-{scale[1]}: an agreement item? say which Force or Pillar it measures "
                         "(measure: force or pillar, construct: ...)")


def is_not_applicable(label: str) -> bool:
    return bool(_NOT_APPLICABLE.match(label.strip()))


def labelled_scales(values: Iterable[str]) -> list[tuple[dict[str, int], list[str]]]:
    """Every known ordered scale holding all the labels (1 = its first label), smallest first, with the N/A answers."""
    seen = {v for v in values if v}
    answers = {v for v in seen if not is_not_applicable(v)}
    return [({label: position for position, label in enumerate(scale, start=1)}, sorted(seen - answers))
            for scale in sorted(LABEL_SCALES, key=len) if answers and answers <= set(scale)]


def timestamp_format(values: Iterable[str]) -> str | None:
    """The first format that reads every value, or None when ISO 8601 does (the default)."""
    values = [v for v in values if v]
    for fmt in (None, *TIMESTAMP_FORMATS):
        try:
            for value in values:
                datetime.strptime(value, fmt) if fmt else datetime.fromisoformat(value)
            return fmt
        except ValueError:
            continue
    return None


def slug(text: str, taken: set[str], prefix: str = "q_") -> str:
    """A question id from its text: lower-case words joined by _, unique among those taken."""
    words = re.findall(r"[^\W_]+", text.lower())[:6]
    base = prefix + ("_".join(words) or "question")
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def render(draft: Draft) -> str:
    """The draft as a mapping file: JSON-style values (valid YAML), a GUESS comment on each guess."""
    lines = [f"# Survey mapping drafted by `cx-warehouse survey-mapping draft` from {draft.source}.",
             "# Check every line marked GUESS, correct it, add the columns listed at the end if you want them,",
             "# then delete `draft: true`: the warehouse refuses a draft.",
             "draft: true", f"format: {draft.format}"]
    for key, (value, guess) in draft.settings.items():
        lines.append(_line(f"{key}: {_flow(value)}", guess))
    lines += [f"survey_id: {_flow({'value': draft.survey_id})}",
              _line(f"survey_kind: {_flow({'value': 'transactional'})}",
                    "relationship (periodic), transactional (after a contact) or delayed?"), "response:"]
    for name, (spec, guess) in draft.fields.items():
        lines.append(_line(f"  {name}: {_flow(spec)}", guess))
    lines.append("questions:")
    placed = [q for q in draft.questions if q.measure]
    lines += [line for question in placed for line in _question(question, "")] or ["  []"]
    unplaced = [q for q in draft.questions if not q.measure]
    if unplaced:
        lines.append("# Not mapped: what these measure could not be told. Uncomment and complete to load them.")
        lines += [line for question in unplaced for line in _question(question, "# ")]
    return "\n".join(lines) + "\n"


def _question(question: DraftQuestion, comment: str) -> list[str]:
    lines = [f"{comment}  - column: {_flow(question.column)}",
             f"{comment}    question_id: {_flow(question.question_id)}",
             f"{comment}    text: {_flow(question.text)}",
             _line(f"{comment}    measure: {_flow(question.measure or 'TODO')}", question.guess)]
    if question.scale:
        lines.append(f"{comment}    scale: {_flow(list(question.scale))}")
    if question.labels:
        lines.append(f"{comment}    labels: {_flow(question.labels)}")
    if question.not_applicable:
        lines.append(f"{comment}    not_applicable: {_flow(question.not_applicable)}")
    lines += [f"{comment}    {key}: {_flow(value)}" for key, value in question.extra.items()]
    return lines


def _line(text: str, guess: str) -> str:
    return f"{text}  # GUESS: {guess}" if guess else text


def _flow(value: object) -> str:
    """JSON is valid YAML and quotes whatever needs it (colons, question marks, Yes and No)."""
    return json.dumps(value, ensure_ascii=False)


def column_question(column: str, text: str, values: Sequence[str], question_id: str) -> DraftQuestion | None:
    """A question guessed from a column's wording and the answers exported in it; None for an empty column."""
    answers = [v for v in values if v]
    if not answers:
        return None
    not_applicable = sorted({v for v in answers if is_not_applicable(v)})
    # "10 - Extremely likely": an end point of a numeric scale with its label.
    numbered = {v: int(m[1]) for v in answers if (m := _NUMBERED.match(v))}
    codes = sorted(v for v, point in numbered.items() if point < 0)  # -99, -1: how tools code N/A numerically
    points = [point for point in numbered.values() if point >= 0]
    if points and len(numbered) + sum(answers.count(v) for v in not_applicable) == len(answers):
        measure, scale, guess = guess_measure(text, (min(points), max(points)), observed=True)
        labels = {label: point for label, point in numbered.items() if not _is_whole(label)}
        return DraftQuestion(column, question_id, text, measure, f"{guess} (answers seen: {min(points)}-"
                             f"{max(points)}{'; negative codes taken as N/A' if codes else ''})", scale=scale,
                             labels=labels, not_applicable=not_applicable + codes)
    if {v.casefold() for v in answers} <= set(EMOTIONS):
        return DraftQuestion(column, question_id, text, "emotion", "every answer is one of Plutchik's emotions; name "
                             "intensity_column, the column saying how strongly (1-3)", scale=(1, 3),
                             labels={v: v.casefold() for v in sorted(set(answers))})
    candidates = labelled_scales(answers)
    for labels, not_applicable in candidates:
        measure, scale, guess = guess_measure(text, (1, max(labels.values())))
        if measure and scale == (1, max(labels.values())) or (labels, not_applicable) == candidates[-1]:
            return DraftQuestion(column, question_id, text, measure, f"{guess}; labels in their usual order",
                                 scale=scale, labels=labels, not_applicable=not_applicable)
    return DraftQuestion(column, question_id, text, "comment", "free text, so a comment")


def _is_whole(text: str) -> bool:
    try:
        return float(text).is_integer()
    except ValueError:
        return False
