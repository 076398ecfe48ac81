"""Configuration checked before a run starts, one line per problem, naming the option or variable the user set.

A mistyped data folder used to run for 40 s and end in freshness warnings and a failing dbt
test; a folder the warehouse cannot be written to failed inside DuckDB. Each check here is
cheap and says what to change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb

from dagster_cx import settings
from dagster_cx.contract import ENTITIES
from dagster_cx.ingest.loader import SUPPORTED_SUFFIXES
from dagster_cx.sources.registry import configured_sources

DBT_TARGETS = ("duckdb", "spark")


def _entity_folders(folder: Path) -> list[str]:
    """The contract's entity folders under `folder` that hold at least one raw file."""
    return [e.name for e in ENTITIES
            if (folder / e.name).is_dir() and any(p.suffix in SUPPORTED_SUFFIXES for p in (folder / e.name).iterdir())]


def _data_dir_problem(name: str) -> str | None:
    folder = settings.data_dir()
    expected = ", ".join(f"{e.name}/" for e in ENTITIES[:3])
    if not folder.is_dir():
        return (f"{name} {folder} is not a folder: point it at the folder of raw files, one sub-folder per entity "
                f"({expected} ...), e.g. {settings.DEFAULT_DATA_DIR}.")
    if _entity_folders(folder):
        return None
    nested = [p for p in sorted(folder.iterdir()) if p.is_dir() and _entity_folders(p)]
    hint = f" Did you mean {nested[0]}?" if nested else " data/README.md lists the folders and their files."
    return f"{name} {folder} has no raw files in any entity sub-folder ({expected} ... with .csv or .parquet files).{hint}"


def _writable_folder_problem(name: str, path: Path) -> str | None:
    """The file's folder must exist (it is created) and take new files."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"{name} {path}: its folder cannot be created ({error.strerror}); choose a folder you can write to."
    if not os.access(path.parent, os.W_OK):
        return f"{name} {path}: its folder {path.parent} is not writable; choose a folder you can write to."
    return None


def configuration_problems(typed: Mapping[str, str] | None = None) -> list[str]:
    """Every problem found, one line each; `typed` maps a variable to the option the user gave for it.

    A message names the option when the user typed it (`--data-dir`), else the variable.
    """
    typed = typed or {}

    def name(variable: str) -> str:
        return typed.get(variable, variable)

    problems = [_data_dir_problem(name("CX_DATA_DIR"))]
    for variable, path_of in (("CX_WAREHOUSE", settings.warehouse_path), ("CX_PUBLISHED", settings.published_path)):
        try:
            problems.append(_writable_folder_problem(name(variable), path_of()))
        except ValueError as error:  # a reserved file name, or the published copy on the warehouse itself
            problems.append(str(error))
    target = settings.dbt_target()
    if target not in DBT_TARGETS:
        problems.append(f"CX_DBT_TARGET={target!r} is not a dbt output of dbt_project/profiles.yml: use "
                        f"{' or '.join(DBT_TARGETS)}, or unset it.")
    limit = settings.duckdb_memory_limit()
    try:
        duckdb.connect(config={"memory_limit": limit}).close()
    except (duckdb.Error, ValueError) as error:
        problems.append(f"CX_DUCKDB_MEMORY_LIMIT={limit!r} is not a DuckDB memory limit ({error}); "
                        "use a share of RAM such as '25%' or a size such as '6GiB'.")
    url = settings.alert_webhook_url()
    if url and not url.startswith(("http://", "https://")):
        problems.append(f"CX_ALERT_WEBHOOK_URL={url!r} is not an http(s) URL: set the chat tool's webhook URL, "
                        "or unset it to keep alerts in Dagster only.")
    try:  # a source system's variables (CX_ZENDESK_*, ...) are read as the definitions load: a bad one was a traceback
        configured_sources()
    except ValueError as error:
        problems.append(str(error))
    return list(dict.fromkeys(problem for problem in problems if problem))  # the published path repeats the warehouse's
