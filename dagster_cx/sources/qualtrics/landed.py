"""Landed Qualtrics responses, one dlt load at a time, mapped onto the contract by their survey's mapping.

Each dlt load not mapped yet gives, per survey, a responses batch and an answers batch named
`qualtrics/<load id>/<survey id>` (one row per response of that load: the step checks the
count), and a load without responses an empty batch named `qualtrics/<load id>`, so every
pull is in the load log. The mappings' questions load as catalog rows first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import duckdb

from dagster_cx.contract import SURVEY_RESPONSES
from dagster_cx.sources.batches import Batch, Unreadable, text_table
from dagster_cx.sources.landing import unmapped_load_ids
from dagster_cx.sources.qualtrics.api import SOURCE, api_mappings
from dagster_cx.sources.surveys.mapping import MappingError, Record, blank_to_none
from dagster_cx.sources.surveys.records import question_batch, record_batches


class QualtricsResponses:
    """The Qualtrics API source's batches: its mappings' questions, then each unmapped load's responses."""

    name = SOURCE
    feeds = ("questions", "survey_responses", "survey_answers")

    def __init__(self, mappings_dir: Path) -> None:
        self.mappings_dir = mappings_dir

    def batches(self, con: duckdb.DuckDBPyConnection) -> Iterator[Batch | Unreadable]:
        try:
            mappings = api_mappings(self.mappings_dir)
        except MappingError as error:
            yield Unreadable("survey_responses", f"{SOURCE}/mappings", str(error))
            return
        for mapping in mappings.values():
            yield question_batch(mapping, f"{SOURCE}/mappings/{mapping.path.name}")
        for load_id in unmapped_load_ids(con, SOURCE):
            landed = _landed_responses(con, load_id)
            if not landed:
                yield Batch("survey_responses", f"{SOURCE}/{load_id}", text_table([], SURVEY_RESPONSES.column_names),
                            records_fetched=0)
            for survey_id, rows in groupby(landed, key=lambda row: row[0]):
                name = f"{SOURCE}/{load_id}/{survey_id}"
                if survey_id not in mappings:
                    yield Unreadable("survey_responses", name, f"responses of survey {survey_id} landed, but no mapping "
                                     f"in {self.mappings_dir} names it now: restore its mapping and re-run.")
                    continue
                yield from record_batches(mappings[survey_id], [_record(values) for _, values in rows], name)


def _landed_responses(con: duckdb.DuckDBPyConnection, load_id: str) -> list[tuple[str, str]]:
    """(survey id, values JSON) of the load's responses, in a fixed order."""
    has_table = con.execute("select count(*) from duckdb_tables() where schema_name = ? and table_name = 'responses'",
                            [SOURCE]).fetchall()[0][0]
    if not has_table:
        return []
    return con.execute(f"select survey_id, \"values\" from {SOURCE}.responses where _dlt_load_id = ? "
                       "order by survey_id, response_id", [load_id]).fetchall()


def _record(values: str) -> Record:
    """A response's `values` (ImportId -> value) as text, as an export file would hold them."""
    return {key: blank_to_none(value) for key, value in json.loads(values).items()}
