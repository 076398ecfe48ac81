"""`cx-warehouse survey-mapping draft`: a mapping drafted from a Qualtrics definition or an export, every guess
marked, refused until checked, and once checked a mapping that loads the survey's exports."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dagster_cx.cli import main
from dagster_cx.sources.surveys.exports import FOLDER_VARIABLE
from dagster_cx.sources.surveys.mapping import MappingError, load_mapping
from tests.survey_ingest import ingest, loads, step_failure

FIXTURES = Path(__file__).parent / "fixtures"
DEFINITION = FIXTURES / "qualtrics_api" / "SV_9AbCdEfGhIjKlMn_definition.json"
SUPPORT = FIXTURES / "survey_exports" / "support_csat"
SURVEYMONKEY = FIXTURES / "survey_exports" / "surveymonkey" / "Support_survey_SurveyMonkey.csv"


def _draft(tmp_path: Path, *source: str) -> str:
    out = tmp_path / "mapping.yml"
    assert main(["survey-mapping", "draft", *source, "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def _checked(text: str) -> str:
    """What a user does after checking the guesses: name the channels the tool uses, delete the draft line."""
    return text.replace('"values": {}', '"values": {"Phone": "phone", "Chat": "chat", "Email": "email"}').replace(
        "draft: true\n", "")


def _measure_lines(text: str) -> dict[str, str]:
    """Each mapped column's measure line (commented-out columns left out)."""
    columns = re.findall(r'^  - column: "([^"]+)"', text, re.MULTILINE)
    measures = re.findall(r"^    measure: (.*)$", text, re.MULTILINE)
    return dict(zip(columns, measures, strict=True))


def test_a_draft_from_a_qualtrics_definition_marks_every_guess(tmp_path):
    text = _draft(tmp_path, "--qualtrics-definition", str(DEFINITION))
    measures = _measure_lines(text)
    # Qualtrics' own NPS question type is NPS for certain; the rest is read from wording and choices.
    assert measures == {
        "QID1": '"nps"',
        "QID2": '"csat"  # GUESS: an item asking about satisfaction, on 1-5',
        "QID3": '"ces"  # GUESS: an item about ease or effort, on 1-7',
        "QID5": "\"emotion\"  # GUESS: every choice is one of Plutchik's emotions; the next 'how strongly' question "
                "is its intensity",
        "QID7_TEXT": '"comment"  # GUESS: a text entry question, so a comment',
    }
    assert '#   - column: "QID4_1"' in text and '#   - column: "QID4_2"' in text  # matrix items: which construct?
    assert 'not_applicable: ["N/A", "-99"]' in text
    assert 'customer_id: "customer_id"  # GUESS: embedded data' in text
    assert 'survey_kind: {"value": "transactional"}  # GUESS' in text
    with pytest.raises(MappingError, match="is still a draft"):
        load_mapping(tmp_path / "mapping.yml")


def test_a_checked_draft_loads_the_surveys_export(tmp_path):
    text = _draft(tmp_path, "--qualtrics-definition", str(DEFINITION))
    drop = tmp_path / "drop" / "support"
    drop.mkdir(parents=True)
    (drop / "mapping.yml").write_text(_checked(text), encoding="utf-8")
    shutil.copy(SUPPORT / "Support_CSAT_labels.tsv", drop)
    result = ingest(tmp_path / "cx.duckdb", tmp_path / "files", **{FOLDER_VARIABLE: str(drop.parent)})
    assert result.success, step_failure(result)
    counted = loads(tmp_path / "cx.duckdb")
    source = "survey_exports/support/Support_CSAT_labels.tsv"
    # As with the hand-written mapping, less the two matrix items the draft left for the user to place.
    assert counted[("survey_responses", source)] == (6, 3, 0, 0, 3)
    assert counted[("survey_answers", source)] == (17, 11, 0, 0, 6)


def test_a_draft_from_a_surveymonkey_export_reads_its_two_header_rows(tmp_path):
    text = _draft(tmp_path, "--wide", str(SURVEYMONKEY), "--header-rows", "2")
    assert _measure_lines(text) == {
        "How likely is it that you would recommend Acme to a friend or colleague? / Response":
            '"nps"  # GUESS: a 0-10 item asking about recommending (answers seen: 6-10)',
        "Overall, were you satisfied with the support you received? / Response":
            '"csat"  # GUESS: an item asking about satisfaction, on 1-3; labels in their usual order',
        "What else should we know? / Open-Ended Response": '"comment"  # GUESS: free text, so a comment',
    }
    assert 'timestamp_format: "%m/%d/%Y %I:%M:%S %p"  # GUESS' in text
    assert 'response_id: "Respondent ID"  # GUESS' in text and 'answered_at: "End Date"  # GUESS' in text
    mapping = load_mapping(_write(tmp_path / "checked.yml", _checked(text)))
    assert [q.measure for q in mapping.questions] == ["nps", "csat", "comment"]


def test_the_draft_command_never_overwrites_a_mapping(tmp_path, capsys):
    out = _write(tmp_path / "mapping.yml", "format: wide\n")
    assert main(["survey-mapping", "draft", "--qualtrics-definition", str(DEFINITION), "--out", str(out)]) == 1
    assert "exists: choose another --out" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "format: wide\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "scale", "observed", "expected"), [
    ("Jak bardzo prawdopodobne jest, że polecisz nas znajomemu?", (0, 10), False, ("nps", (0, 10))),
    ("Насколько вероятно, что вы порекомендуете нас другу?", (3, 9), True, ("nps", (0, 10))),
    ("Jak bardzo jesteś zadowolony z obsługi?", (1, 5), False, ("csat", (1, 5))),
    ("How satisfied were you? (1-10)", (2, 9), True, ("csat", (1, 10))),
    ("Were you satisfied?", (1, 2), False, ("csat", (1, 2))),
    ("The company made it easy for me to handle my issue.", (2, 7), True, ("ces", (1, 7))),
    ("Насколько легко было решить вопрос?", (1, 7), False, ("ces", (1, 7))),
    ("I trust what they tell me.", (1, 5), False, (None, (1, 5))),  # an agreement item: which construct?
    ("How likely are you to recommend us?", (1, 5), False, (None, (1, 5))),  # NPS is 0-10 or nothing
    ("How easy was it?", (1, 5), False, (None, (1, 5))),  # CES is 1-7 or nothing
])
def test_measures_are_guessed_from_wording_in_three_languages_and_the_scale(text, scale, observed, expected):
    from dagster_cx.sources.surveys.draft import guess_measure

    measure, guessed_scale, _ = guess_measure(text, scale, observed)
    assert (measure, guessed_scale) == expected
