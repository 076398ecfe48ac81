"""The queues' and customers' time zones and the wall-clock conversions between them and UTC.

Timestamps are drawn on the local wall clock (office hours, weekdays) and exported with
the zone's offset, across daylight-saving changes: the conversion is vectorised with pandas
instead of a per-row zoneinfo call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ZONES = ("Europe/Warsaw", "Europe/Moscow", "Europe/London")  # index = country: PL, RU, UK


def _local_to_utc(local_s: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Local wall-clock seconds in each row's zone to UTC epoch seconds.

    Wall-clock times skipped by the spring DST change move forward; repeated autumn times
    read as standard time.
    """
    out = np.empty(len(local_s))
    for z, tz in enumerate(ZONES):
        rows = zone == z
        local = pd.DatetimeIndex(local_s[rows].astype(np.int64).astype("datetime64[s]"))
        aware = local.tz_localize(tz, ambiguous=np.zeros(rows.sum(), bool), nonexistent="shift_forward")
        out[rows] = aware.tz_convert("UTC").tz_localize(None).values.astype("datetime64[s]").astype(np.int64)
    return out


def _utc_to_local(utc_s: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """UTC epoch seconds to local wall-clock seconds in each row's zone."""
    out = np.empty(len(utc_s))
    for z, tz in enumerate(ZONES):
        rows = zone == z
        utc = pd.DatetimeIndex(utc_s[rows].astype(np.int64).astype("datetime64[s]")).tz_localize("UTC")
        out[rows] = utc.tz_convert(tz).tz_localize(None).values.astype("datetime64[s]").astype(np.int64)
    return out
