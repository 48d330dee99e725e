"""Timing of the ALS wrapper against bare ``implicit`` on the same synthetic matrix (``make bench``).

``run_benchmark()`` returns a dict of seconds and ratios:

- ``wrapper_*``: :func:`als.fit_als` (matrix from a DataFrame + fit), :func:`als.related_articles` for every
  article, :func:`als.reader_recommendations` for every reader (decay, candidate filter, frames out);
- ``bare_*``: implicit alone on the same confidence matrix: ``fit``, batched ``similar_items`` for every
  item and batched ``recommend`` for every user (N + filters only, arrays out);
- ``overhead_ratio`` = wrapper total / bare total wall time (target <= 1.2), ``overhead_ratio_cpu`` the
  same on process CPU time (less sensitive to other load on the box), ``fit_ratio`` for the fit alone.

Each step is run ``repeats`` times, wrapper and bare interleaved, and its minimum kept.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from article_recs.recommend.als import (
    build_user_items,
    fit_als,
    new_als,
    reader_recommendations,
    related_articles,
)
from article_recs.recommend.candidates import candidate_articles
from article_recs.recommend.params import RecommenderParams
from article_recs.recommend.synthetic import synthetic_data


def run_benchmark(
    n_readers: int = 100_000,
    n_articles: int = 20_000,
    n_interactions: int = 1_000_000,
    params: RecommenderParams | None = None,
    seed: int = 0,
    repeats: int = 2,
) -> dict[str, Any]:
    """Time the wrapper and bare implicit on one synthetic power-law site (see module doc)."""

    params = params or RecommenderParams()
    n = params.recs_per_source
    as_of = pd.Timestamp("2024-03-01")
    t0 = time.perf_counter()
    interactions, articles = synthetic_data(
        n_readers, n_articles, n_interactions, n_topics=50, seed=seed, as_of=as_of
    )
    out: dict[str, Any] = {"data_seconds": time.perf_counter() - t0}
    candidates = candidate_articles(articles, as_of, params.max_article_age_days, params.decay_half_life_days)

    user_items, _, _ = build_user_items(interactions, params.als_alpha)
    best: dict[str, float] = {}

    class step:
        """Times a block: the minimum wall and process-CPU seconds over the repeats are kept."""

        def __init__(self, name: str) -> None:
            self.name = name

        def __enter__(self) -> None:
            self.wall, self.cpu = time.perf_counter(), time.process_time()

        def __exit__(self, *exc: object) -> None:
            for key, seconds in (
                (f"{self.name}_seconds", time.perf_counter() - self.wall),
                (f"{self.name}_cpu_seconds", time.process_time() - self.cpu),
            ):
                best[key] = min(seconds, best.get(key, float("inf")))

    users = np.arange(user_items.shape[0])
    for _ in range(max(1, repeats)):  # interleaved; the minimum of each step (a shared 2-core box is noisy)
        with step("wrapper_fit"):
            fitted = fit_als(interactions, params, "site")
        with step("wrapper_related"):
            related = related_articles(fitted, candidates, n)
        with step("wrapper_readers"):
            readers = reader_recommendations(fitted, candidates, n)

        with threadpool_limits(limits=1, user_api="blas"):
            with step("bare_fit"):
                model = new_als(params)
                model.fit(user_items, show_progress=False)
            with step("bare_similar_items"):
                model.similar_items(np.arange(user_items.shape[1]), N=n + 1)
            with step("bare_recommend"):
                model.recommend(users, user_items, N=n, filter_already_liked_items=True)
    out.update(best)
    out["wrapper_matrix_seconds"] = fitted.stats["matrix_seconds"]
    out["repeats"] = max(1, repeats)

    for unit in ("seconds", "cpu_seconds"):
        wrapper = sum(out[f"wrapper_{s}_{unit}"] for s in ("fit", "related", "readers"))
        bare = sum(out[f"bare_{s}_{unit}"] for s in ("fit", "similar_items", "recommend"))
        out[f"wrapper_total_{unit}"], out[f"bare_total_{unit}"] = wrapper, bare
    out.update(
        {
            "overhead_ratio": out["wrapper_total_seconds"] / out["bare_total_seconds"],
            "overhead_ratio_cpu": out["wrapper_total_cpu_seconds"] / out["bare_total_cpu_seconds"],
            "fit_ratio": out["wrapper_fit_seconds"] / out["bare_fit_seconds"],
            "n_interactions": int(user_items.nnz),
            "n_readers": int(user_items.shape[0]),
            "n_articles": int(user_items.shape[1]),
            "related_rows": len(related),
            "reader_rows": len(readers),
            "params": params.to_dict(),
        }
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    result = run_benchmark(args.readers, args.articles, args.interactions, repeats=args.repeats)
    print(json.dumps(result, indent=2, default=float))


if __name__ == "__main__":
    main()
