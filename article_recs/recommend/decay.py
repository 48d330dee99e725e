"""Publish-date decay and ages, relative to ``as_of`` (never the wall clock).

``decay = 0.5 ** (age_days / half_life_days)``: an article ``half_life_days`` old counts half as much as one
published at ``as_of``. Ages are clipped at 0, so an article stamped slightly after ``as_of`` (clock skew,
scheduled metadata) is treated as brand new rather than getting a decay above 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from article_recs.recommend.params import to_naive_utc

SECONDS_PER_DAY = 86_400.0


def naive_utc(values: pd.Series) -> pd.Series:
    """A datetime series as naive UTC (DuckDB ``timestamptz`` arrives tz-aware, ``timestamp`` naive)."""
    out = pd.to_datetime(values)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def age_days(timestamps: pd.Series, as_of: pd.Timestamp, clip: bool = True) -> pd.Series:
    """Age in (fractional) days of each timestamp at ``as_of``; NaN where the timestamp is missing."""
    delta = to_naive_utc(as_of) - naive_utc(timestamps)
    days = delta.dt.total_seconds() / SECONDS_PER_DAY
    days = days.astype("float64")
    return days.clip(lower=0.0) if clip else days


def half_life_decay(age: pd.Series | np.ndarray | float, half_life_days: float) -> np.ndarray:
    """``0.5 ** (age / half_life_days)`` elementwise; a non-positive half-life means no decay (1.0)."""
    age_arr = np.asarray(age, dtype="float64")
    if half_life_days is None or half_life_days <= 0:
        return np.ones_like(age_arr)
    return np.power(0.5, age_arr / float(half_life_days))


def publish_decay(published_at: pd.Series, as_of: pd.Timestamp, half_life_days: float) -> pd.Series:
    """Publish-date decay of each article at ``as_of`` (index kept); NaN where published_at is missing."""
    ages = age_days(published_at, as_of)
    return pd.Series(half_life_decay(ages.to_numpy(), half_life_days), index=published_at.index)
