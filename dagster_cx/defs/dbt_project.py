"""The dbt project handle and CLI resource, shared by the dbt assets, the resources and the CLI."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging import version

from dagster_cx import dbt_child, settings
from dagster_cx.build_state import FINGERPRINTED, project_fingerprint
from dagster_cx.dbt_child import dbt_executable

# DBT_TARGET_PATH is dbt's own setting, which dagster-dbt's per-step target folders also follow;
# reading it here keeps the manifest Dagster loads in the folder dbt writes (tests give each
# parallel worker its own).
dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, target_path=os.environ.get("DBT_TARGET_PATH") or "target")


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without two costs per dbt step that buy this project nothing.

    Before each invocation dagster-dbt runs `dbt --version` (2.6 s here: dbt imports itself and
    looks for a newer release) and opens a dbt adapter in the Dagster process (2.2 s the first
    time), which only its optional row-count and column-metadata fetches use; the dbt assets
    here stream events without them. dbt-core is installed beside Dagster (pyproject pins it),
    so the version dbt would print is the package's.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        """dagster-dbt starts dbt with a copy of os.environ; for that moment it names this process
        as dbt's parent (dagster_cx/dbt_child.py), and no later child inherits the name."""
        previous = os.environ.get(dbt_child.PARENT_PID)
        os.environ[dbt_child.PARENT_PID] = str(os.getpid())
        try:
            return super().cli(args, **kwargs)
        finally:
            if previous is None:
                os.environ.pop(dbt_child.PARENT_PID, None)
            else:
                os.environ[dbt_child.PARENT_PID] = previous


def dbt_cli() -> DbtCliResource:
    """dbt colours its status words for a terminal; in the CLI's log file and Dagster's compute logs they are noise."""
    return InstalledDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable(),
                                   global_config_flags=["--no-use-colors"])


def _parse_state() -> str:
    """What a parse depends on: the project's files and the profile's values in this environment.

    dbt keeps partial-parse state only for the connection it parsed with (the warehouse path
    is part of it), and dagster-dbt gives every `dbt build` a fresh target folder seeded from
    `target/`; so after a parse for another warehouse each dbt step would parse in full again.
    """
    profile = dbt_project.profiles_dir / "profiles.yml"
    profile_env = sorted(set(re.findall(r"env_var\(\s*'([A-Z0-9_]+)'", profile.read_text(encoding="utf-8"))))
    environment = "\n".join(f"{name}={os.environ.get(name, '')}" for name in profile_env)
    project = project_fingerprint(dbt_project.project_dir, (*FINGERPRINTED, "tests", "profiles.yml"))
    return f"{project}\n{environment}\n"


def ensure_manifest() -> None:
    """Parse the dbt project (writes target/manifest.json) unless its parse state is current.

    Dagster builds the dbt assets from the manifest at import time, so a fresh clone needs
    one parse before `dagster_cx.definitions` can load, and an edited project needs another.
    A stamp beside the manifest says what it was parsed from, so an unchanged project and
    warehouse cost no parse (several seconds), and a new warehouse costs one, not one per step.
    """
    settings.pin_environment()
    stamp = dbt_project.manifest_path.with_name("cx_parse_state")
    state = _parse_state()
    if dbt_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == state:
        return
    # A plain subprocess: dagster-dbt's own CLI wrapper needs the manifest this creates.
    completed = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(dbt_project.project_dir),
         "--profiles-dir", str(dbt_project.profiles_dir), "--log-path", str(dbt_project.project_dir / dbt_project.target_path)],
        capture_output=True, text=True, check=False, env=dbt_child.parent_environment(),
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed in {dbt_project.project_dir}; fix the dbt project and retry:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    stamp.write_text(state)


# Under `dagster dev` a reload picks up edited models (what DbtProject's prepare_if_dev does,
# but with the dbt beside this Python rather than the one on PATH, and only when they changed).
ensure_manifest()
