"""What a source hands the ingestion step: batches of contract rows, each with its identity.

A batch holds one entity's rows mapped from one unit of the vendor's data (a dlt load of an
API, an export file), every value as text, plus optionally `_exclude_reason` (left out on
purpose, with why: a survey preview, a deleted ticket) and `_source_record` (the vendor's
record as JSON, kept with a quarantined or waiting row). Its hash identifies its content, so
a unit mapped twice loads nothing twice. `records_fetched` is how many vendor records stand
behind it: the ingestion step checks that every one of them became a row (loaded, waiting,
quarantined or excluded), so a mapping cannot lose records in silence. A batch the gate
cannot take is refused whole and named; the others still load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import duckdb
import pyarrow as pa

from dagster_cx.contract import ENTITIES_BY_NAME
from dagster_cx.ingest.loader import FileLoadError, FileLoadResult, load_batch
from dagster_cx.ingest.plausibility import Limits


@dataclass(frozen=True)
class Batch:
    entity: str
    source_name: str  # how the load log names it: "zendesk/1733570000.1", "qualtrics/exports/x.csv"
    rows: pa.Table
    records_fetched: int | None = None  # vendor records behind these rows; None: not one row per record

    @property
    def content_hash(self) -> str:
        """sha256 of the rows (Arrow IPC stream) and the name: the same unit mapped again is known."""
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, self.rows.schema) as writer:
            writer.write_table(self.rows)
        digest = hashlib.sha256(self.source_name.encode() + b"\0" + sink.getvalue().to_pybytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class Unreadable:
    """A unit of vendor data that cannot be mapped at all (an unreadable export file, a broken mapping).

    Nothing of it loads; the ingestion step loads every other unit, then fails naming it, as it
    does for an unreadable file in the contract's shape.
    """

    entity: str  # the raw entity whose asset reports it
    source_name: str
    problem: str  # what is wrong and what to do about it


class VendorSource(Protocol):
    """A configured source system: its name (the folder under dagster_cx/sources) and its new batches."""

    name: str
    feeds: tuple[str, ...]  # the raw entities its batches can hold: configured, they are fed, even before data comes

    def batches(self, con: duckdb.DuckDBPyConnection) -> Iterator[Batch | Unreadable]:
        """Batches of vendor data not loaded yet, any entity, in the order they should load."""


@dataclass(frozen=True)
class BatchesLoaded:
    results: list[FileLoadResult]
    refused: dict[str, str]  # batch name -> why nothing of it loaded, and what to do


def load_batches(
    con: duckdb.DuckDBPyConnection, entity: str, batches: list[Batch | Unreadable], limits: Limits,
) -> BatchesLoaded:
    """Load the entity's batches through the gate, in order; refuse whole, and name, each unit that
    could not be read, whose rows do not match its vendor records, or that lacks a contract column.
    The others load whatever a refused one holds."""
    results, refused = [], {}
    for batch in (b for b in batches if b.entity == entity):
        if isinstance(batch, Unreadable):
            refused[batch.source_name] = batch.problem
            continue
        if batch.records_fetched is not None and batch.rows.num_rows != batch.records_fetched:
            refused[batch.source_name] = (
                f"{batch.source_name}: {batch.records_fetched:,} vendor records were mapped to {batch.rows.num_rows:,} "
                f"{entity} rows, so the source's mapping loses or repeats records; nothing of this batch was loaded. "
                "Report this message with the source's name and version."
            )
            continue
        try:
            results.append(load_batch(con, ENTITIES_BY_NAME[entity], batch.source_name, batch.content_hash,
                                      batch.rows, limits))
        except FileLoadError as error:
            refused[batch.source_name] = str(error)
    return BatchesLoaded(results, refused)


def text_table(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pa.Table:
    """Rows as an Arrow table of text columns in the given order (None stays null): what the gate reads."""
    return pa.table({name: pa.array([_text(row.get(name)) for row in rows], pa.string()) for name in columns})


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
