"""Plausibility limits: values the contract's types allow but no real contact has.

A `talk_seconds` of 999,999 is a valid integer >= 0, and one such row moved the published
mean handle time from 527 s to 893 s. A value past one of these limits is quarantined with
a reason that names the limit. The defaults are documented in data/README.md; a YAML file
named by CX_PLAUSIBILITY_LIMITS overrides any of them (`null` switches one off):

    columns:            # per entity and column: the largest plausible value
      contacts: {talk_seconds: 28800}
    durations_hours:    # per entity and duration: the longest plausible stretch, in hours
      contacts: {first_reply_wait: 720}
    timestamps:         # every timestamp and date column, against the moment of loading
      max_hours_in_future: 24
      max_years_in_past: 30
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dagster_cx.contract import ENTITIES_BY_NAME

ENV_VAR = "CX_PLAUSIBILITY_LIMITS"

DEFAULT_COLUMN_MAX: dict[str, dict[str, float]] = {
    "contacts": {"talk_seconds": 8 * 3600, "hold_seconds": 4 * 3600, "after_contact_work_seconds": 4 * 3600},
}
# A duration is the SQL difference end - start over a row's typed columns.
DURATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "contacts": {
        "first_reply_wait": ("first_replied_at", "coalesce(queue_entered_at, created_at)"),
        "resolution_time": ("resolved_at", "created_at"),
    },
}
DEFAULT_DURATION_MAX_HOURS: dict[str, dict[str, float]] = {
    "contacts": {"first_reply_wait": 30 * 24, "resolution_time": 365 * 24},
}
DEFAULT_MAX_HOURS_IN_FUTURE = 24.0
DEFAULT_MAX_YEARS_IN_PAST = 30.0


@dataclass(frozen=True)
class Limits:
    """The limits in force; `None` switches a limit off."""

    column_max: dict[str, dict[str, float | None]] = field(default_factory=lambda: _copy(DEFAULT_COLUMN_MAX))
    duration_max_hours: dict[str, dict[str, float | None]] = field(
        default_factory=lambda: _copy(DEFAULT_DURATION_MAX_HOURS))
    max_hours_in_future: float | None = DEFAULT_MAX_HOURS_IN_FUTURE
    max_years_in_past: float | None = DEFAULT_MAX_YEARS_IN_PAST

    def columns_of(self, entity: str) -> dict[str, float]:
        return {name: value for name, value in self.column_max.get(entity, {}).items() if value is not None}

    def durations_of(self, entity: str) -> dict[str, tuple[str, str, float]]:
        """name -> (end, start, max hours) for the entity's durations that have a limit."""
        limits = self.duration_max_hours.get(entity, {})
        return {name: (*DURATIONS[entity][name], limits[name])
                for name in DURATIONS.get(entity, {}) if limits.get(name) is not None}


def _copy(limits: dict[str, dict[str, float]]) -> dict[str, dict[str, float | None]]:
    return {entity: dict(columns) for entity, columns in limits.items()}


def configured_limits() -> Limits:
    """The defaults, overridden by the YAML file CX_PLAUSIBILITY_LIMITS names (if set)."""
    path = os.environ.get(ENV_VAR, "").strip()
    return load_limits(Path(path)) if path else Limits()


def load_limits(path: Path) -> Limits:
    """Read an override file; an unknown entity, column or key is an error, not a silent no-op."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{ENV_VAR}={path}: cannot read it ({error}); point it at a YAML file "
                         "as data/README.md ('Plausibility limits') shows, or unset it.") from error
    unknown = set(document) - {"columns", "durations_hours", "timestamps"}
    if unknown:
        raise ValueError(f"{ENV_VAR}={path}: unknown section(s) {sorted(unknown)}; "
                         "use columns, durations_hours and timestamps.")
    limits = Limits()
    for entity, columns in (document.get("columns") or {}).items():
        known = set(ENTITIES_BY_NAME[entity].column_names) if entity in ENTITIES_BY_NAME else set()
        for column, value in (columns or {}).items():
            if column not in known:
                raise ValueError(f"{ENV_VAR}={path}: columns.{entity}.{column} is not a column of the contract "
                                 "(data/README.md lists them).")
            limits.column_max.setdefault(entity, {})[column] = _number(value, f"columns.{entity}.{column}", path)
    for entity, durations in (document.get("durations_hours") or {}).items():
        for name, value in (durations or {}).items():
            if name not in DURATIONS.get(entity, {}):
                choices = [f"{e}.{n}" for e, names in DURATIONS.items() for n in names]
                raise ValueError(f"{ENV_VAR}={path}: durations_hours.{entity}.{name} is unknown; "
                                 f"the durations are {', '.join(choices)}.")
            limits.duration_max_hours.setdefault(entity, {})[name] = _number(value, f"durations_hours.{entity}.{name}", path)
    timestamps = document.get("timestamps") or {}
    unknown = set(timestamps) - {"max_hours_in_future", "max_years_in_past"}
    if unknown:
        raise ValueError(f"{ENV_VAR}={path}: timestamps.{sorted(unknown)[0]} is unknown; "
                         "use max_hours_in_future and max_years_in_past.")
    return Limits(
        column_max=limits.column_max,
        duration_max_hours=limits.duration_max_hours,
        max_hours_in_future=_number(timestamps.get("max_hours_in_future", DEFAULT_MAX_HOURS_IN_FUTURE),
                                    "timestamps.max_hours_in_future", path),
        max_years_in_past=_number(timestamps.get("max_years_in_past", DEFAULT_MAX_YEARS_IN_PAST),
                                  "timestamps.max_years_in_past", path),
    )


def _number(value: object, where: str, path: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{ENV_VAR}={path}: {where} is {value!r}; give a number >= 0, or null to switch it off.")
    return float(value)
