"""Publish-date decay relative to as_of."""

import numpy as np
import pandas as pd

from article_recs.recommend.decay import age_days, half_life_decay, publish_decay

AS_OF = pd.Timestamp("2024-03-10")


def test_decay_halves_every_half_life_and_is_one_for_fresh_or_future_articles() -> None:
    published = pd.Series(pd.to_datetime(["2024-03-10", "2024-03-08", "2024-03-06", "2024-03-11"]))
    np.testing.assert_allclose(publish_decay(published, AS_OF, 2.0), [1.0, 0.5, 0.25, 1.0])


def test_ages_of_tz_aware_timestamps_are_taken_in_utc() -> None:
    published = pd.Series(pd.to_datetime(["2024-03-09 01:00:00+01:00"]))
    assert age_days(published, AS_OF).iloc[0] == 1.0


def test_non_positive_half_life_means_no_decay() -> None:
    assert half_life_decay(np.array([5.0]), 0).tolist() == [1.0]
