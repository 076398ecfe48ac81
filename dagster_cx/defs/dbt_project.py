"""The dbt project handle, shared by the dbt assets, the resources and the CLI."""

from __future__ import annotations

from dagster_dbt import DbtProject

from dagster_cx import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def ensure_manifest(force: bool = False) -> None:
    """Parse the dbt project (writes target/manifest.json) unless a manifest exists already.

    Dagster builds the dbt assets from the manifest at import time, so a fresh clone needs
    one parse before `dagster_cx.definitions` can load.
    """
    if force or not dbt_project.manifest_path.exists():
        settings.pin_environment()
        dbt_project.preparer.prepare(dbt_project)
