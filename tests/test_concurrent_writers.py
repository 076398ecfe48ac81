"""Writers of one warehouse, as real processes: two runs at once, a run that waits too long, a killed run.

DuckDB allows one writing process per file. The pipeline serialises its writers with a lock file
beside the warehouse (dagster_cx/writer_lock.py), and runs dbt so that it dies with the process
that started it (dagster_cx/dbt_child.py).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import psutil

from tests.conftest import HANDMADE, REPO_ROOT
from tests.pipeline import published_path_for


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(HANDMADE, data)
    warehouse = tmp_path / "cx.duckdb"
    env = {**os.environ, "CX_DATA_DIR": str(data), "CX_WAREHOUSE": str(warehouse),
           "CX_PUBLISHED": str(published_path_for(warehouse)), **extra}
    for key in ("CX_REPORT_DIR", "CX_ALERT_WEBHOOK_URL", "CX_SURVEY_INVITATIONS_DIR", "DAGSTER_HOME"):
        env.pop(key, None)
    return env


def _start_run(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dagster_cx.cli", "run", "--log-level", "ERROR"], env=env,
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_second_run_waits_for_the_first_and_both_succeed(tmp_path):
    env = _env(tmp_path)
    holder_file = tmp_path / "cx.duckdb.lock.json"
    first = _start_run(env)
    _wait_for(holder_file.exists, 120, "the first run to hold the warehouse")
    second = _start_run(env)
    first_out, first_err = first.communicate(timeout=900)
    second_out, second_err = second.communicate(timeout=900)
    assert first.returncode == 0, first_err[-3000:]
    assert second.returncode == 0, second_err[-3000:]
    assert f"is being written by cx-warehouse run (pid {first.pid} on" in second_err
    assert "The warehouse is free now" in second_err
    with duckdb.connect(str(tmp_path / "cx.duckdb"), read_only=True) as con:
        files = con.execute("select count(*), count(distinct source_file) from raw._file_loads").fetchall()[0]
        assert files[0] == files[1] == sum(1 for _ in (tmp_path / "data").rglob("*.csv"))
        # The second run found nothing new: one build, nothing loaded twice.
        assert con.execute("select count(*) from raw._dbt_builds").fetchall() == [(1,)]
    assert not holder_file.exists()


def test_a_run_that_waits_longer_than_allowed_stops_and_names_the_holder(tmp_path):
    env = _env(tmp_path, CX_WRITER_LOCK_TIMEOUT="2")
    warehouse = tmp_path / "cx.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from dagster_cx import writer_lock\n"
         "with writer_lock.writing(Path(sys.argv[1]), 'a nightly backfill'):\n"
         "    print('holding', flush=True); time.sleep(120)", str(warehouse)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "dagster_cx.cli", "run"], env=env, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=300)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 1
    assert f"was still being written by a nightly backfill (pid {holder.pid} on" in run.stderr
    assert "after 2 s" in run.stderr and "CX_WRITER_LOCK_TIMEOUT" in run.stderr and "quarantine" not in run.stderr
    assert not warehouse.exists(), "nothing may be written while another process holds the warehouse"
    assert waited < 120


def _dbt_children(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "build" in child.cmdline():
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.slow
def test_a_killed_run_leaves_no_dbt_writing_and_the_next_run_succeeds(tmp_path):
    env = _env(tmp_path)
    run = _start_run(env)
    dbt: list[psutil.Process] = []

    def dbt_started() -> bool:
        dbt[:] = _dbt_children(run.pid)
        return bool(dbt)

    _wait_for(dbt_started, 180, "dbt to start")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    gone, alive = psutil.wait_procs(dbt, timeout=15)
    assert not alive, f"dbt outlived the killed run: {[p.pid for p in alive]}"
    again = subprocess.run([sys.executable, "-m", "dagster_cx.cli", "run", "--log-level", "ERROR"], env=env,
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Could not set lock" not in again.stderr


def test_dbt_started_through_the_shim_dies_with_its_parent_even_when_silent(tmp_path):
    """dbt that prints nothing for a while (a long model) would outlive a killed parent: its next
    write to the closed pipe is what ends it otherwise. The shim has the kernel end it at once."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    fake_dbt = bin_dir / "dbt"
    fake_dbt.write_text("#!/bin/sh\nexec sleep 120\n")
    fake_dbt.chmod(0o755)
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time\n"
         "child = subprocess.Popen([sys.argv[1], '-c', 'from dagster_cx.dbt_child import main; main()', 'build'])\n"
         "print(child.pid, flush=True); time.sleep(120)", str(bin_dir / "python")],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    dbt = psutil.Process(int(parent.stdout.readline()))
    _wait_for(lambda: "sleep" in dbt.name(), 30, "the shim to become dbt")
    parent.kill()
    parent.wait()
    gone, alive = psutil.wait_procs([dbt], timeout=10)
    assert not alive, "the silent dbt outlived its killed parent"


def test_a_shim_adopted_before_its_python_started_does_not_run_dbt(tmp_path):
    """Under load the run can be killed between starting the shim and the shim's first line, when
    getppid() already names the process that adopted it: the parent the run named is what counts."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    ran = tmp_path / "dbt_ran"
    fake_dbt = bin_dir / "dbt"
    fake_dbt.write_text(f"#!/bin/sh\ntouch {ran}\n")
    fake_dbt.chmod(0o755)
    gone = subprocess.Popen(["true"])
    gone.wait()
    shim = [str(bin_dir / "python"), "-c", "from dagster_cx.dbt_child import main; main()", "build"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    adopted = subprocess.run(shim, env={**env, "CX_DBT_PARENT_PID": str(gone.pid)}, cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=60)
    assert adopted.returncode != 0 and f"(pid {gone.pid}) has exited" in adopted.stderr
    assert not ran.exists(), "dbt ran for a parent that was already gone"
    started_here = subprocess.run(shim, env={**env, "CX_DBT_PARENT_PID": str(os.getpid())}, cwd=REPO_ROOT,
                                  capture_output=True, text=True, timeout=60)
    assert started_here.returncode == 0, started_here.stderr
    assert ran.exists()
