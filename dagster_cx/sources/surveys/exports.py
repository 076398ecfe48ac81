"""The survey file drop: export files in CX_SURVEY_EXPORTS_DIR, one folder per survey beside its mapping.

    $CX_SURVEY_EXPORTS_DIR/
        nps_relationship/mapping.yml           format: qualtrics (three header rows) or wide
        nps_relationship/NPS_2026-03-01.csv    as downloaded; .csv or .tsv, any number of them
        support_csat/mapping.yml
        support_csat/responses_march.csv

Each run reads every export (survey exports are small) and maps it; a batch already loaded is
known by its hash, so an export dropped twice, or a folder re-read, loads nothing twice. An
export downloaded again with more responses loads the responses it shares as new versions of
the same keys (the newest counts, as for any file). A file or mapping that cannot be read
fails the step naming it, after everything else has loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from dagster_cx.sources.batches import Batch, Unreadable
from dagster_cx.sources.qualtrics.export_file import read_export
from dagster_cx.sources.surveys.mapping import MappingError, SurveyMapping, load_mapping
from dagster_cx.sources.surveys.records import question_batch, record_batches
from dagster_cx.sources.surveys.wide_files import ExportFileError, read_wide

SOURCE = "survey_exports"
FOLDER_VARIABLE = "CX_SURVEY_EXPORTS_DIR"
MAPPING_FILE = "mapping.yml"
EXPORT_SUFFIXES = (".csv", ".tsv")


def configured_folder() -> Path | None:
    """The drop folder (CX_SURVEY_EXPORTS_DIR), or None when the file drop is not configured."""
    configured = os.environ.get(FOLDER_VARIABLE, "").strip()
    return Path(configured).expanduser().resolve() if configured else None


class SurveyExports:
    """Every survey folder's mapping (as catalog questions) and exports (as responses and answers)."""

    name = SOURCE
    feeds = ("questions", "survey_responses", "survey_answers")

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def batches(self, con: duckdb.DuckDBPyConnection) -> Iterator[Batch | Unreadable]:
        if not self.folder.is_dir():
            yield Unreadable("survey_responses", SOURCE, f"{FOLDER_VARIABLE}={self.folder} is not a folder; create it "
                             "(one sub-folder per survey, with its mapping.yml) or unset the variable.")
            return
        for stray in sorted(p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES):
            yield Unreadable("survey_responses", f"{SOURCE}/{stray.name}", f"{stray}: an export belongs in its "
                             "survey's folder, beside the mapping.yml that says how to read it; move it there.")
        for survey in sorted(p for p in self.folder.iterdir() if p.is_dir()):
            mapping_name = f"{SOURCE}/{survey.name}/{MAPPING_FILE}"
            try:
                mapping = _mapping(survey)
            except MappingError as error:
                yield Unreadable("survey_responses", mapping_name, str(error))
                continue
            yield question_batch(mapping, mapping_name)
            for export in sorted(p for p in survey.iterdir() if p.suffix.lower() in EXPORT_SUFFIXES):
                name = f"{SOURCE}/{survey.name}/{export.name}"
                try:
                    yield from _export_batches(mapping, export, name)
                except ExportFileError as error:
                    yield Unreadable("survey_responses", name, f"{error} Nothing of it was loaded.")


def _mapping(survey: Path) -> SurveyMapping:
    path = survey / MAPPING_FILE
    if not path.is_file():
        raise MappingError(f"{survey}: has no {MAPPING_FILE}; draft one with `cx-warehouse survey-mapping draft` "
                           "from an export in the folder, check it, and re-run.")
    return load_mapping(path)


def _export_batches(mapping: SurveyMapping, export: Path, name: str) -> list[Batch]:
    """Read the export as the mapping's format says, check it has every column the mapping names, map it."""
    if mapping.format == "qualtrics":
        qualtrics = read_export(export, mapping.encoding)
        records, columns, zone = qualtrics.records, qualtrics.import_ids, qualtrics.time_zone
        shown = [f"{key} ({qualtrics.names[key]})" for key in columns]
    else:
        wide = read_wide(export, mapping.header_rows, mapping.delimiter, mapping.encoding)
        records, columns, zone, shown = wide.records, wide.columns, None, wide.columns
    missing = sorted(mapping.columns - set(columns))
    if missing:
        raise ExportFileError(f"{export}: has no column {', '.join(map(repr, missing))}, which {mapping.path} names; "
                              f"its columns are {', '.join(shown)}. Correct the mapping (or export those columns).")
    return record_batches(mapping, records, name, zone)
