"""A/B arms: which strategy a reader of a site is served, by a stable hash of their ``domain_userid``.

The shares come from the dbt var ``article_recs__ab_arms`` (``dbt_project.yml``): a mapping of site id (or
``default`` for every site not listed) to ``{strategy: share}``. ``ARTICLE_RECS_AB_ARMS`` (the same mapping as
JSON) overrides it, e.g. for one API process. Strategy names are data: any strategy with a current model can
be an arm.

The assignment hashes ``<site>:<domain_userid>`` with SHA-256 (not Python's ``hash``, which changes per
process) into a number in [0, 1) and walks the arms' cumulative shares in strategy-name order, so the same
reader always gets the same arm, in every process, on every machine, and the widget simulation of the event
generator assigns arms exactly as the API does.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping

VAR = "article_recs__ab_arms"
ENV = "ARTICLE_RECS_AB_ARMS"
DEFAULT_KEY = "default"
#: Used when neither the env var nor dbt_project.yml says anything.
BUILTIN_ARMS: dict[str, dict[str, float]] = {DEFAULT_KEY: {"item_knn": 0.5, "popularity": 0.5}}

Arms = dict[str, dict[str, float]]


class ArmsError(ValueError):
    """The arms configuration is not a mapping of site -> {strategy: positive share}."""


def validate(arms: object) -> Arms:
    """Normalised copy (shares summing to 1 per site) or :class:`ArmsError` naming what is wrong."""
    if not isinstance(arms, Mapping) or not arms:
        raise ArmsError(f"{VAR} must map site ids (or 'default') to {{strategy: share}}, got {arms!r}")
    out: Arms = {}
    for site, shares in arms.items():
        if not isinstance(shares, Mapping) or not shares:
            raise ArmsError(f"{VAR}[{site!r}] must map strategies to shares, got {shares!r}")
        clean: dict[str, float] = {}
        for strategy, share in shares.items():
            try:
                value = float(share)
            except (TypeError, ValueError):
                raise ArmsError(f"{VAR}[{site!r}][{strategy!r}] is not a number: {share!r}") from None
            if not value > 0:
                raise ArmsError(f"{VAR}[{site!r}][{strategy!r}] must be > 0, got {share!r}")
            clean[str(strategy)] = value
        total = sum(clean.values())
        out[str(site)] = {strategy: value / total for strategy, value in sorted(clean.items())}
    return out


def load_arms(env: Mapping[str, str] | None = None) -> Arms:
    """``ARTICLE_RECS_AB_ARMS`` (JSON), else the var in ``dbt_project.yml``, else :data:`BUILTIN_ARMS`."""
    env = os.environ if env is None else env
    if env.get(ENV):
        try:
            return validate(json.loads(env[ENV]))
        except json.JSONDecodeError as exc:
            raise ArmsError(f"{ENV} is not valid JSON: {exc}") from None
    value = project_var(VAR)
    return validate(value if value is not None else BUILTIN_ARMS)


def project_var(name: str) -> object | None:
    """A var of the project's ``dbt_project.yml`` (None when there is no project file or no such var)."""
    try:
        import yaml

        from article_recs.dbt_runner import PROJECT_DIR

        project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
        return (project.get("vars") or {}).get(name)
    except (OSError, ImportError):
        return None


def shares_for(arms: Arms, site_id: str) -> dict[str, float]:
    """The site's arms, or the ``default`` arms."""
    if site_id in arms:
        return arms[site_id]
    if DEFAULT_KEY in arms:
        return arms[DEFAULT_KEY]
    raise ArmsError(f"{VAR} has no arms for site {site_id!r} and no {DEFAULT_KEY!r} entry")


def bucket(site_id: str, domain_userid: str) -> float:
    """The reader's stable position in [0, 1) for this site."""
    digest = hashlib.sha256(f"{site_id}:{domain_userid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(shares: Mapping[str, float], site_id: str, domain_userid: str) -> str:
    """The strategy (arm) of ``domain_userid`` on ``site_id`` given normalised ``shares``."""
    x = bucket(site_id, domain_userid)
    cumulative = 0.0
    last = ""
    for strategy in sorted(shares):
        cumulative += shares[strategy]
        last = strategy
        if x < cumulative:
            return strategy
    return last  # rounding: the cumulative sum may end a hair below 1


def default_strategy(shares: Mapping[str, float]) -> str:
    """The strategy served when no reader is known: the arm with the largest share (ties: name order)."""
    return min(shares, key=lambda strategy: (-shares[strategy], strategy))
