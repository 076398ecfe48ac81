"""The survey file drop: Qualtrics "Export data" files (numbers or labels, CSV or UTF-16 TSV) through their
mapping into the raw tables, with previews, spam, unfinished and N/A answers excluded and counted."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_cx.sources.surveys.exports import FOLDER_VARIABLE
from dagster_cx.sources.surveys.mapping import MappingLoader, parse_mapping
from tests.pipeline import failed_checks
from tests.survey_ingest import ingest, loads, raw_rows, step_failure

FIXTURES = Path(__file__).parent / "fixtures" / "survey_exports"
SURVEY = FIXTURES / "support_csat"
NUMERIC = SURVEY / "Support_CSAT_numeric.csv"
LABELS = SURVEY / "Support_CSAT_labels.tsv"


def _drop(root: Path, export: Path, mapping: str | None = None) -> Path:
    """A drop folder holding the support survey's mapping (or the given text) and one export."""
    folder = root / "exports" / "support_csat"
    folder.mkdir(parents=True)
    (folder / "mapping.yml").write_text(mapping or (SURVEY / "mapping.yml").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    shutil.copy(export, folder / export.name)
    return root / "exports"


def _ingest(root: Path, exports: Path):
    return ingest(root / "cx.duckdb", root / "files", **{FOLDER_VARIABLE: str(exports)})


@pytest.fixture(scope="module")
def numeric_and_labels(tmp_path_factory) -> tuple[Path, Path]:
    """The same six responses as a numeric CSV and as a labelled UTF-16 TSV, each in its own warehouse."""
    warehouses = []
    for export in (NUMERIC, LABELS):
        root = tmp_path_factory.mktemp(export.stem)
        result = _ingest(root, _drop(root, export))
        assert result.success and not failed_checks(result), step_failure(result)
        warehouses.append(root / "cx.duckdb")
    return warehouses[0], warehouses[1]


def test_every_record_is_loaded_or_excluded_with_why_and_counted(numeric_and_labels):
    numeric, _ = numeric_and_labels
    source = "survey_exports/support_csat/Support_CSAT_numeric.csv"
    counted = loads(numeric)
    # read, loaded, quarantined, waiting, excluded: 6 responses = 3 real + a preview, spam and an unfinished one.
    assert counted[("survey_responses", source)] == (6, 3, 0, 0, 3)
    # 21 answered cells: 7 + 6 + 3 of the real responses (one an N/A), 2 + 2 + 1 of the excluded ones.
    assert counted[("survey_answers", source)] == (21, 15, 0, 0, 6)
    assert counted[("questions", "survey_exports/support_csat/mapping.yml")] == (7, 7, 0, 0, 0)
    with duckdb.connect(str(numeric), read_only=True) as con:
        excluded = dict(con.execute("select record->>'response_id', reason from raw.excluded "
                                    "where entity = 'survey_responses'").fetchall())
        na = con.execute("select reason from raw.excluded where entity = 'survey_answers' "
                         "and record->>'question_id' = 'q_csat' and record->>'response_id' = 'R_3c4D5e6F7g8H9i0'"
                         ).fetchall()
    assert excluded == {
        "R_4d5E6f7G8h9I0j1": "a survey preview or test (Qualtrics status '1', channel 'preview'); "
                             "exclude_previews is on",
        "R_5e6F7g8H9i0J1k2": "marked as spam by Qualtrics (status '8'); exclude_spam is on",
        "R_6f7G8h9I0j1K2l3": "unfinished (Finished = 0, progress 40%); exclude_unfinished is on",
    }
    assert na == [("answered '-99' (not applicable): not a point of the scale, so in no score and no n",)]


def test_responses_keep_their_instant_language_and_comments_as_written(numeric_and_labels):
    numeric, _ = numeric_and_labels
    responses = raw_rows(numeric, "survey_responses", "response_id")
    assert [(r[0], r[3], r[5], r[8], str(r[10])) for r in responses] == [
        # Times were exported on Warsaw's clock: 10:14:52 in winter is 09:14:52 UTC; the 29th of March
        # is the day the clocks jump forward, so 03:29:42 is already summer time (UTC+2).
        ("R_1a2B3c4D5e6F7g8", "u1", "phone", "pl", "2026-03-02 09:14:52+00:00"),
        ("R_2b3C4d5E6f7G8h9", "u2", "chat", "ru", "2026-03-29 01:29:42+00:00"),
        ("R_3c4D5e6F7g8H9i0", "u3", "chat", "en", "2026-03-03 07:01:11+00:00"),
    ]
    comments = [r[3] for r in raw_rows(numeric, "survey_answers", "response_id, question_id")
                if r[1] == "q_comment"]
    assert comments == ['Bardzo "miła" obsługa,\nszybko i sprawnie. Zażółć gęślą jaźń.',
                        'Ответ пришёл "вовремя",\nно пришлось ждать; спасибо!']


def test_a_labelled_tsv_export_gives_the_same_rows_as_the_numeric_csv(numeric_and_labels):
    numeric, labels = numeric_and_labels
    for entity, order in (("questions", "question_id"), ("survey_responses", "response_id"),
                          ("survey_answers", "response_id, question_id")):
        assert raw_rows(labels, entity, order) == raw_rows(numeric, entity, order), entity
    answers = {(r[0], r[1]): (r[2], r[3]) for r in raw_rows(labels, "survey_answers", "response_id")}
    assert answers[("R_1a2B3c4D5e6F7g8", "q_csat")] == (5.0, None)  # "Extremely satisfied"
    assert answers[("R_1a2B3c4D5e6F7g8", "q_ces")] == (6.0, None)  # "Agree" on the 7-point scale
    assert answers[("R_1a2B3c4D5e6F7g8", "q_emotion")] == (3.0, "joy")  # "Joy", "Very strongly"
    assert answers[("R_2b3C4d5E6f7G8h9", "q_emotion")] == (2.0, "anger")
    assert answers[("R_3c4D5e6F7g8H9i0", "q_nps")] == (10.0, None)  # "10 - Extremely likely"


def test_loading_the_drop_again_adds_nothing(tmp_path):
    exports = _drop(tmp_path, NUMERIC)
    first = _ingest(tmp_path, exports)
    again = _ingest(tmp_path, exports)
    assert first.success and again.success
    assert len(loads(tmp_path / "cx.duckdb")) == 3  # questions, responses and answers, each loaded once
    assert len(raw_rows(tmp_path / "cx.duckdb", "survey_answers", "response_id")) == 15


def test_unfinished_responses_load_when_the_mapping_says_so(tmp_path):
    mapping = (SURVEY / "mapping.yml").read_text(encoding="utf-8") + "exclude_unfinished: false\n"
    _ingest(tmp_path, _drop(tmp_path, NUMERIC, mapping))
    counted = loads(tmp_path / "cx.duckdb")
    assert counted[("survey_responses", "survey_exports/support_csat/Support_CSAT_numeric.csv")] == (6, 4, 0, 0, 2)


def test_what_the_mapping_cannot_read_is_quarantined_with_the_fix(tmp_path):
    export = tmp_path / "Support_CSAT_numeric.csv"
    text = NUMERIC.read_text(encoding="utf-8-sig")
    # A label the mapping does not know, and a time in the hour Warsaw's clocks skip.
    text = text.replace('"R_1a2B3c4D5e6F7g8"', '"R_1"').replace('"9","5","6"', '"9","Quite happy","6"')
    text = text.replace('"2026-03-29 03:29:42"', '"2026-03-29 02:29:42"')
    export.write_text(text, encoding="utf-8-sig")
    _ingest(tmp_path, _drop(tmp_path, export))
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        held = con.execute("select entity, reason from raw.quarantine order by entity").fetchall()
    [(answers, label_reason), (responses, time_reason)] = held
    assert (answers, responses) == ("survey_answers", "survey_responses")
    # The mapping's reason comes first; the contract's own follow (the answer has no value).
    assert label_reason.startswith("QID2 answer 'Quite happy' is neither a number nor one of the labels of q_csat in "
                                   "mapping.yml: add it under labels (or not_applicable) and re-run; ")
    assert time_reason.startswith("answered_at '2026-03-29 02:29:42' does not exist in Europe/Warsaw (the clocks "
                                  "jumped forward over it)")


def test_an_export_lacking_a_mapped_column_fails_the_step_naming_it_and_the_rest_loads(tmp_path):
    exports = _drop(tmp_path, NUMERIC)
    broken = exports / "other_survey"
    broken.mkdir()
    (broken / "mapping.yml").write_text((SURVEY / "mapping.yml").read_text(encoding="utf-8").replace(
        "column: QID3", "column: QID33"), encoding="utf-8")
    shutil.copy(NUMERIC, broken / "export.csv")
    result = _ingest(tmp_path, exports)
    assert not result.success
    assert "other_survey/export.csv: has no column 'QID33'" in step_failure(result)
    assert "Nothing of it was loaded" in step_failure(result)
    counted = loads(tmp_path / "cx.duckdb")
    assert counted[("survey_responses", "survey_exports/support_csat/Support_CSAT_numeric.csv")] == (6, 3, 0, 0, 3)
    assert not any("other_survey/export.csv" in source for _, source in counted)


@pytest.mark.parametrize(("addition", "message"), [
    ("draft: true\n", "is still a draft: check every line marked GUESS"),
    ("time_zone: Mars/Olympus\n", "time_zone: 'Mars/Olympus' is not an IANA time zone"),
    ("colour: blue\n", "unknown key(s) colour"),
])
def test_a_mapping_that_cannot_be_used_fails_the_step_with_what_to_fix(tmp_path, addition, message):
    mapping = (SURVEY / "mapping.yml").read_text(encoding="utf-8") + addition
    result = _ingest(tmp_path, _drop(tmp_path, NUMERIC, mapping))
    assert not result.success
    assert message in step_failure(result)


def test_the_readme_example_mapping_is_a_valid_mapping():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("### The survey mapping")[1].split("```yaml")[1].split("```")[0]
    path = Path(__file__).parent / "readme_mapping.yml"
    mapping = parse_mapping(yaml.load(example, Loader=MappingLoader), path)
    assert [q.measure for q in mapping.questions] == ["nps", "csat", "force", "emotion", "comment"]
    assert mapping.exclude_when[0].reason == "unfinished"
