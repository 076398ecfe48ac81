"""The dbt project handle and CLI resource, shared by the dbt assets, the resources and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from dagster_cx import settings
from dagster_cx.build_state import FINGERPRINTED, project_fingerprint

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt installed beside this Python, so an un-activated virtualenv still finds it."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_cli() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


def ensure_manifest() -> None:
    """Parse the dbt project (writes target/manifest.json) unless its manifest is current.

    Dagster builds the dbt assets from the manifest at import time, so a fresh clone needs
    one parse before `dagster_cx.definitions` can load, and an edited project needs another.
    A fingerprint of the project's files beside the manifest says whether it is current, so an
    unchanged project costs no parse (several seconds).
    """
    stamp = dbt_project.manifest_path.with_name("cx_project_fingerprint")
    fingerprint = project_fingerprint(dbt_project.project_dir, (*FINGERPRINTED, "tests"))
    if dbt_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    settings.pin_environment()
    # A plain subprocess: dagster-dbt's own CLI wrapper needs the manifest this creates.
    completed = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir)],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed in {dbt_project.project_dir}; fix the dbt project and retry:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    stamp.write_text(fingerprint)


# Under `dagster dev` a reload picks up edited models (what DbtProject's prepare_if_dev does,
# but with the dbt beside this Python rather than the one on PATH, and only when they changed).
ensure_manifest()
