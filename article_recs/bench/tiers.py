"""Benchmark tiers: how much data, generated once and reused, and the event windows each measurement reads.

Every tier generates ``days`` (61) whole days of events ending at ``end`` 00:00 UTC. The *cutoff* is
``end - 12 h``; the windows, by the hour folders of the files (``events/YYYY/MM/DD/HH/``):

- ``full``: the 30 days before the cutoff (the full-build and raw-scan measurements);
- ``history_7d`` / ``history_60d``: the 7 / 60 days before the cutoff (the incremental case's history);
- ``increment``: the ``increment_hours`` (2) after the cutoff: what the loader writes between two runs.

Both histories get the same increment files, so the two incremental runs process the same new events and
differ only by the history under them. A window is a *landing* folder of hard links to the generated files
(no copy; same paths for the history build and the run on top of it, which matters: the warehouse remembers
which files it has read).

The generator holds every event in memory before writing (about 0.65 GB per million events), so a tier
whose 61 days would not fit comfortably is generated in ``chunks``: the last chunk covers the 31 days that
hold the full-build window and the increment, the others the older history, each with its own seed (the
generator reuses a seed's event ids, so chunks sharing one would collide). Readers of an older chunk are
other people than those of the newest: only history older than 30 days is affected, which an incremental
run does not reread and the recommender (28-day window) does not train on.

Data is reused when ``spec.json`` (written last, after every chunk's manifest) matches the tier.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

#: generator peak memory per million events (measured: 1.26 GB for 2.0M events)
GEN_GB_PER_MILLION_EVENTS = 0.65
#: events per reader-day the generator produces with its default behaviour (measured: ~5.0)
EVENTS_PER_READER_DAY = 5.0


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    users: int
    articles: int
    seed: int
    sites: int = 2
    days: int = 61
    end: date = date(2026, 3, 2)
    chunks: int = 1
    full_days: int = 30
    history_days: tuple[int, ...] = (7, 60)
    increment_hours: int = 2
    # what runs on top of the history: "project" (`dbt build`, what the schedule runs), "snowplow" (the
    # Snowplow models alone)
    incremental_variants: tuple[str, ...] = ("project", "snowplow")
    # how many times each measurement runs (the median is reported)
    build_repeats: int = 3
    scan_repeats: int = 3
    incremental_repeats: int = 3
    als_repeats: int = 3
    serving_repeats: int = 3
    serving_rows: int = 1_000_000
    serving_queries: int = 2000
    api_requests: int = 20_000  # API load test: at most this many requests per concurrency level ...
    api_max_seconds: float = 20.0  # ... and at most this long

    @property
    def cutoff(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC) - timedelta(hours=12)

    def windows(self) -> dict[str, tuple[datetime, datetime]]:
        """name -> [start, stop) of the hour folders in that window."""
        c = self.cutoff
        out = {"full": (c - timedelta(days=self.full_days), c)}
        for d in self.history_days:
            out[f"history_{d}d"] = (c - timedelta(days=d), c)
        out["increment"] = (c, c + timedelta(hours=self.increment_hours))
        return out

    def chunk_plan(self) -> list[dict]:
        """Generator arguments per chunk, newest last: [{"seed", "days", "end"}]."""
        if self.chunks <= 1:
            return [{"seed": self.seed, "days": self.days, "end": self.end.isoformat()}]
        newest = self.full_days + 1  # the full window, the cutoff day's remaining 12 h and the increment
        rest = self.days - newest
        older = [
            rest // (self.chunks - 1) + (1 if i < rest % (self.chunks - 1) else 0)
            for i in range(self.chunks - 1)
        ]
        plan, end = [], self.end
        for i, days in enumerate([newest] + older):
            plan.append({"seed": self.seed + i, "days": days, "end": end.isoformat()})
            end = end - timedelta(days=days)
        return list(reversed(plan))

    def expected_events(self) -> float:
        """Rough events over the whole generated window (for the memory check)."""
        return EVENTS_PER_READER_DAY * self.users * self.days

    def to_dict(self) -> dict:
        d = asdict(self)
        d["end"] = self.end.isoformat()
        d["cutoff"] = self.cutoff.strftime("%Y-%m-%d %H:%M")
        return d


TIERS: dict[str, Tier] = {
    # harness smoke test: one run of everything on a toy dataset (`make bench-quick`, < 2 min when quiet)
    "quick": Tier(
        "quick",
        "quick (~20k events / 30 d)",
        users=150,
        articles=120,
        seed=81,
        build_repeats=1,
        scan_repeats=1,
        incremental_repeats=1,
        als_repeats=1,
        serving_repeats=1,
        serving_rows=100_000,
        serving_queries=500,
        api_requests=2000,
        api_max_seconds=5.0,
        incremental_variants=("project",),
        # one history: each whole-project dbt invocation costs ~25-30 s of dbt overhead even on this toy
        # data, and a second history (build + run) would take the tier past 2 minutes; the 1m tier
        # measures the 60 d / 7 d ratio
        history_days=(7,),
    ),
    "1m": Tier("1m", "1M events / 30 d", users=6700, articles=3000, seed=82),
    # 10M over 30 days (20M over the 61 generated days): generated in two chunks to keep the generator
    # under ~7 GB; fewer repeats of the long measurements
    "10m": Tier(
        "10m",
        "10M events / 30 d",
        users=67000,
        articles=15000,
        seed=83,
        chunks=2,
        build_repeats=2,
        scan_repeats=3,
        incremental_repeats=3,
        als_repeats=2,
        serving_repeats=3,
    ),
}


# ================================================================================================ data
@dataclass
class TierData:
    tier: Tier
    root: Path
    chunk_dirs: list[Path] = field(default_factory=list)
    manifests: list[dict] = field(default_factory=list)
    generated_seconds: float | None = None  # None: reused

    @property
    def events(self) -> int:
        return sum(int(m.get("lines", 0)) for m in self.manifests)

    @property
    def article_metadata_glob(self) -> str:
        return str(self.root / "gen" / "chunk-*" / "articles" / "articles.csv")


def _spec(tier: Tier) -> dict:
    return {"sites": tier.sites, "users": tier.users, "articles": tier.articles, "chunks": tier.chunk_plan()}


def _chunk_matches(chunk_dir: Path, users: int, articles: int, sites: int, plan: dict) -> dict | None:
    """The chunk's manifest when the generated data there is what ``plan`` asks for, else None."""
    try:
        manifest = json.loads((chunk_dir / "manifest.json").read_text())
        params = json.loads((chunk_dir / "ground_truth" / "params.json").read_text())
    except (OSError, ValueError):
        return None
    want = {
        "seed": plan["seed"],
        "days": plan["days"],
        "end": plan["end"],
        "users": users,
        "articles": articles,
    }
    if any(params.get(k) != v for k, v in want.items()) or len(manifest.get("sites", [])) != sites:
        return None
    return manifest


def _mem_available_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def ensure_data(tier: Tier, data_dir: Path, log=print) -> TierData:
    """Generate the tier's events under ``data_dir/<tier>/gen/chunk-N`` unless the same data is there."""
    import time

    root = data_dir / tier.name
    spec_path = root / "spec.json"
    plan = tier.chunk_plan()
    data = TierData(tier, root)
    spec = _spec(tier)
    chunk_dirs = [root / "gen" / f"chunk-{i}" for i in range(len(plan))]
    reusable = spec_path.exists() and json.loads(spec_path.read_text()) == spec
    manifests = [
        _chunk_matches(d, tier.users, tier.articles, tier.sites, p)
        for d, p in zip(chunk_dirs, plan, strict=True)
    ]
    if reusable and all(manifests):
        data.chunk_dirs, data.manifests = chunk_dirs, manifests  # type: ignore[assignment]
        log(f"[{tier.name}] reusing generated data in {root} ({data.events:,} lines)")
        return data

    spec_path.unlink(missing_ok=True)
    started = time.perf_counter()
    exe = str(Path(sys.executable).parent / "article-recs")
    for chunk_dir, chunk, manifest in zip(chunk_dirs, plan, manifests, strict=True):
        if manifest is not None:
            log(f"[{tier.name}] reusing {chunk_dir.name}")
            continue
        per_chunk_gb = GEN_GB_PER_MILLION_EVENTS * EVENTS_PER_READER_DAY * tier.users * chunk["days"] / 1e6
        avail = _mem_available_gb()
        if avail == avail and per_chunk_gb > 0.8 * avail:
            raise RuntimeError(
                f"generating {chunk_dir} needs about {per_chunk_gb:.1f} GB and only {avail:.1f} GB is "
                "available: raise the tier's chunks or free memory"
            )
        if chunk_dir.exists():
            shutil.rmtree(chunk_dir)
        chunk_dir.parent.mkdir(parents=True, exist_ok=True)
        log(
            f"[{tier.name}] generating {chunk_dir.name}: {tier.users} users, {chunk['days']} days to "
            f"{chunk['end']}, seed {chunk['seed']} (~{per_chunk_gb:.1f} GB peak)"
        )
        subprocess.run(
            [
                exe,
                "generate",
                "--out",
                str(chunk_dir),
                "--users",
                str(tier.users),
                "--articles",
                str(tier.articles),
                "--days",
                str(chunk["days"]),
                "--sites",
                str(tier.sites),
                "--seed",
                str(chunk["seed"]),
                "--end",
                chunk["end"],
                "--quiet",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    manifests = [
        _chunk_matches(d, tier.users, tier.articles, tier.sites, p)
        for d, p in zip(chunk_dirs, plan, strict=True)
    ]
    if not all(manifests):
        raise RuntimeError(f"generated data in {root} does not match the tier spec (generator changed?)")
    spec_path.write_text(json.dumps(spec, indent=2))
    data.chunk_dirs, data.manifests = chunk_dirs, manifests  # type: ignore[assignment]
    data.generated_seconds = round(time.perf_counter() - started, 1)
    return data


# ============================================================================================= landing
def hour_of(relative: Path) -> datetime | None:
    """The load hour of ``YYYY/MM/DD/HH/<file>`` (relative to an events folder), or None."""
    parts = relative.parts
    if len(parts) < 5:
        return None
    try:
        y, m, d, h = (int(p) for p in parts[:4])
        return datetime(y, m, d, h, tzinfo=UTC)
    except ValueError:
        return None


def event_files(data: TierData) -> list[tuple[Path, Path, datetime]]:
    """(file, path relative to its events folder, load hour) of every generated event file, sorted."""
    out = []
    for chunk_dir in data.chunk_dirs:
        events = chunk_dir / "events"
        for path in events.rglob("*.tsv*"):
            rel = path.relative_to(events)
            hour = hour_of(rel)
            if hour is not None:
                out.append((path, rel, hour))
    return sorted(out, key=lambda t: (t[1], str(t[0])))


def link_window(
    files: list[tuple[Path, Path, datetime]],
    landing: Path,
    start: datetime,
    stop: datetime,
) -> list[Path]:
    """Hard-link the files whose hour is in [start, stop) into ``landing`` (same relative paths);
    returns the links made (existing ones are kept)."""
    made = []
    for path, rel, hour in files:
        if not start <= hour < stop:
            continue
        target = landing / rel
        if target.exists():
            if os.path.samefile(target, path):
                continue
            target = target.with_name(f"{path.parents[len(rel.parts)].name}-{target.name}")  # other chunk
            if target.exists():
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        made.append(target)
    return made
