"""Shared fixtures: warehouses built once per session by the real pipeline.

The suite runs on parallel pytest-xdist workers (`-n auto --dist loadgroup`, pyproject.toml).
Each worker parses dbt into a target folder of its own, and the tests that share a
session or module fixture are grouped onto one worker, so no warehouse is built twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Before dagster_cx reads them: dbt's manifest, partial-parse state, per-run folders and logs, one
# folder per worker, outside the checkout (stable across sessions, so dbt parses partially), a
# Dagster instance per worker for the CLI's runs (which persist runs, as for `dg dev`), new each
# session, and Hypothesis's cache.
SCRATCH = Path(tempfile.gettempdir()) / "cx-warehouse-tests" / hashlib.sha256(
    str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:12] / os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ["DBT_TARGET_PATH"] = str(SCRATCH / "dbt_target")
os.environ["DBT_LOG_PATH"] = str(SCRATCH / "dbt_logs")
os.environ["DAGSTER_HOME"] = str(SCRATCH / "dagster_home")
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(SCRATCH / "hypothesis")
shutil.rmtree(SCRATCH / "dagster_home", ignore_errors=True)
(SCRATCH / "dagster_home").mkdir(parents=True)
if os.environ.get("PYTEST_XDIST_WORKER"):
    # A worker runs under `python -c`, whose __main__ has no spec: pyspark.sql.connect (which GX
    # imports whenever pyspark is installed) takes that for a doctest run and calls sys.exit(0).
    if sys.modules["__main__"].__spec__ is None:
        sys.modules["__main__"].__spec__ = importlib.machinery.ModuleSpec("__main__", None)

import dagster as dg  # noqa: E402
import duckdb  # noqa: E402
import pytest  # noqa: E402

from dagster_cx.defs.dbt_project import ensure_manifest  # noqa: E402
from tests.pipeline import failed_checks, published_path_for, run_pipeline  # noqa: E402

# Before any test module builds the dbt assets from the manifest: parse if the project
# changed since the last parse, so edited models are never tested against a stale manifest.
ensure_manifest()

FIXTURES = Path(__file__).parent / "fixtures"
HANDMADE = FIXTURES / "handmade"
REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE = REPO_ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def progress(pytestconfig: pytest.Config) -> Callable[[str], contextlib.AbstractContextManager[None]]:
    """`with progress("building ..."):` says on the terminal what a long fixture does, and how long it took.

    pytest captures a fixture's output (also on xdist workers) until its test ends; a build of
    a minute or more would look like a hung suite, so these lines go past the capture.
    """
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            sys.stderr.write(f"\n[{worker}] {line}\n")
            sys.stderr.flush()

    @contextlib.contextmanager
    def doing(what: str) -> Iterator[None]:
        say(f"{what} ...")
        started = time.monotonic()
        yield
        say(f"{what}: done in {time.monotonic() - started:.0f} s")

    return doing


def _build(data_dir: Path, warehouse: Path) -> tuple[Path, dg.ExecuteInProcessResult]:
    result = run_pipeline(data_dir, warehouse)
    assert result.success and not failed_checks(result), f"pipeline failed: {failed_checks(result)}"
    return warehouse, result


@pytest.fixture(scope="session")
def handmade_run(tmp_path_factory: pytest.TempPathFactory, progress) -> tuple[Path, dg.ExecuteInProcessResult]:
    """The hand-made fixture (tests/fixtures/handmade), whose mart values are computed by hand."""
    with progress("building the hand-made fixture's warehouse (the whole pipeline)"):
        return _build(HANDMADE, tmp_path_factory.mktemp("handmade") / "cx.duckdb")


@pytest.fixture(scope="session")
def handmade_warehouse(handmade_run) -> Path:
    return handmade_run[0]


@dataclass(frozen=True)
class CliRun:
    """`cx-warehouse run` on the bundled sample, as the README runs it, in a subprocess."""

    warehouse: Path
    env: dict[str, str]
    stdout: str
    dagster_home: Path  # the run's events persist here, for tests of asset metadata


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_cx.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=900
    )


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory, progress) -> CliRun:
    """The bundled sample (data/sample), with its planted bad rows, built once by the CLI."""
    folder = tmp_path_factory.mktemp("sample")
    warehouse, home = folder / "cx.duckdb", folder / "dagster_home"
    home.mkdir()
    env = {**os.environ, "CX_WAREHOUSE": str(warehouse), "CX_DATA_DIR": str(SAMPLE),
           "CX_PUBLISHED": str(published_path_for(warehouse)), "DAGSTER_HOME": str(home)}
    for key in ("CX_REPORT_DIR", "CX_ALERT_WEBHOOK_URL", "CX_SURVEY_INVITATIONS_DIR"):
        env.pop(key, None)
    with progress("building the bundled sample with `cx-warehouse run`"):
        completed = cli("run", env=env)
    assert completed.returncode == 0, f"`cx-warehouse run` failed:\n{completed.stderr[-4000:]}"
    return CliRun(warehouse, env, completed.stdout, home)


@pytest.fixture(scope="session")
def sample_warehouse(sample_run: CliRun) -> Path:
    return sample_run.warehouse


@pytest.fixture
def handmade_db(handmade_warehouse: Path):
    con = duckdb.connect(str(handmade_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture
def sample_db(sample_warehouse: Path):
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    yield con
    con.close()


# Session fixtures that build nothing: a test using them need not run beside another that does.
UNSHARED_FIXTURES = {"progress"}


def _shared_fixtures(item: pytest.Item) -> set[str]:
    """This suite's module- and session-scoped fixtures the test uses (a module's named with it)."""
    shared, module = set(), item.nodeid.split("::")[0]
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        definition = definitions[-1]
        if name in UNSHARED_FIXTURES:
            continue
        if definition.func.__module__.startswith("tests") and definition.scope in ("module", "session"):
            shared.add(name if definition.scope == "session" else f"{module}::{name}")
    return shared


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the marks into groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One xdist group per set of tests linked by a shared fixture, so no build runs twice.

    Tests are linked when they use the same session fixture (the sample's CLI build, the
    hand-made build) or the same module fixture (the Spark build, which also needs the
    sample's). With `--dist loadgroup --no-loadscope-reorder` each group runs whole on one
    worker; the sample's group, the longest, is put first so it starts at once.
    """
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    keys = {item.nodeid: sorted(_shared_fixtures(item)) or [item.nodeid.split("::")[0]] for item in items}
    for linked in keys.values():
        for key in linked[1:]:
            parent[root(key)] = root(linked[0])
    named = {root(build): build for build in ("handmade_run", "sample_run")}
    group = {nodeid: named.get(root(linked[0]), root(linked[0])) for nodeid, linked in keys.items()}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group[item.nodeid]))
    items.sort(key=lambda item: group[item.nodeid] != "sample_run")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop, rather than silently build every shared warehouse once per worker, if the groups were lost."""
    if os.environ.get("PYTEST_XDIST_WORKER") and session.config.getvalue("loadgroup"):
        ungrouped = [item.nodeid for item in session.items if "@" not in item.nodeid]
        if ungrouped:
            raise pytest.UsageError(
                f"pytest-xdist did not group {len(ungrouped)} tests (e.g. {ungrouped[0]}), so shared builds would run "
                "on every worker: install the pytest pinned in pyproject.toml (pytest-dev/pytest-xdist#1386), "
                "or run serially with -n 0"
            )
