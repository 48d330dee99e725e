"""Measure one command: wall time, CPU time (user + sys of the child and everything it waited for), peak
memory, and the load on the machine while it ran.

Peak memory comes two ways: the kernel's ``ru_maxrss`` from ``wait4`` (the largest resident set of the child
or of any descendant it reaped: exact, but per process, not summed) and a sampler that sums the resident sets
of the whole process tree every ``sample_s`` (catches concurrent children; can miss a spike shorter than the
interval), and names the processes it saw. dbt runs DuckDB and the Python models in its own process; its only
child is multiprocessing's resource tracker (a few MB), so for a dbt build the two agree to within that.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    max_rss_bytes: int
    tree_peak_rss_bytes: int
    max_procs: int
    returncode: int
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The command succeeded, or it was a dbt build whose models all ran and only tests failed (a property
        of the data, not of the run: the timing counts, the failures are reported)."""
        return self.returncode == 0 or bool(self.extra.get("only_tests_failed"))

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("wall_s", "cpu_s", "user_s", "sys_s"):
            d[k] = round(d[k], 3)
        return d


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces and parentheses
        rest = stat[stat.rfind(b")") + 2 :].split()
        kids.setdefault(int(rest[1]), []).append(int(entry.name))
    return kids


def _describe(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(a.decode(errors="replace") for a in args[:4] if a)
    return text[:120]


def tree_rss(pid: int, seen: dict[int, str] | None = None) -> tuple[int, int]:
    """(summed resident bytes, process count) of ``pid`` and its descendants, now. New pids go to ``seen``
    with their command line."""
    kids = _children_map()
    total, count, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE_SIZE
            count += 1
        except OSError:
            continue
        if seen is not None and p not in seen and p != pid:
            seen[p] = _describe(p)
        todo.extend(kids.get(p, []))
    return total, count


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    log_path: Path | None = None,
    sample_s: float = 0.5,
    timeout_s: float | None = None,
) -> Sample:
    """Run ``command`` (stdout and stderr to ``log_path``, or discarded) and measure it."""
    load_start = os.getloadavg()
    sink = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), env=dict(env) if env else None, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT
        )
        peak = {"rss": 0, "procs": 0}
        seen: dict[int, str] = {}
        done = threading.Event()

        def sampler() -> None:
            while not done.wait(sample_s):
                rss, procs = tree_rss(proc.pid, seen)
                if rss > peak["rss"]:
                    peak["rss"], peak["at"] = rss, time.time()
                peak["procs"] = max(peak["procs"], procs)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        deadline = None if timeout_s is None else started + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                proc.kill()
                deadline = None
            time.sleep(0.05)
        wall = time.perf_counter() - started
        done.set()
        thread.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log_path:
            sink.close()
    return Sample(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        max_rss_bytes=usage.ru_maxrss * 1024,
        tree_peak_rss_bytes=peak["rss"],
        max_procs=peak["procs"],
        returncode=proc.returncode,
        load_start=tuple(round(x, 2) for x in load_start),  # type: ignore[arg-type]
        load_end=tuple(round(x, 2) for x in os.getloadavg()),  # type: ignore[arg-type]
        extra={
            **({"child_processes": sorted(set(seen.values()))} if seen else {}),
            **({"tree_peak_at": peak["at"]} if "at" in peak else {}),
        },
    )


def median(values: Sequence[float | None]) -> float | None:
    """Median of the values that are not None (None when there are none)."""
    kept = [float(v) for v in values if v is not None]
    return statistics.median(kept) if kept else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def summarize(samples: Sequence[Sample], **extra_keys: str) -> dict:
    """Median wall / CPU over the successful samples, the peak memory over them, and every run's numbers.
    ``extra_keys``: name -> key of ``Sample.extra`` to take the median of too."""
    ok = [s for s in samples if s.ok]
    out: dict = {
        "runs": len(samples),
        "ok_runs": len(ok),
        "wall_s": median([s.wall_s for s in ok]),
        "cpu_s": median([s.cpu_s for s in ok]),
        "max_rss_bytes": max((s.max_rss_bytes for s in ok), default=None),
        "tree_peak_rss_bytes": max((s.tree_peak_rss_bytes for s in ok), default=None),
        "max_procs": max((s.max_procs for s in ok), default=None),
        "max_load1": max((max(s.load_start[0], s.load_end[0]) for s in samples), default=None),
    }
    if ok:
        top = max(ok, key=lambda s: s.tree_peak_rss_bytes)
        if top.extra.get("peak_node"):
            out["peak_node"] = top.extra["peak_node"]
    children = sorted({c for s in samples for c in s.extra.get("child_processes", [])})
    if children:
        out["child_processes"] = children
    for name, key in extra_keys.items():
        out[name] = median([s.extra.get(key) for s in ok])
    out["samples"] = [s.to_dict() for s in samples]
    return out


def wait_until_quiet(
    threshold: float, max_wait_s: float, log=print, poll_s: float = 15.0
) -> tuple[float, ...]:
    """Wait (at most ``max_wait_s``) until the 1-minute load average is below ``threshold``; returns the
    load averages when it stopped waiting."""
    waited = 0.0
    load = os.getloadavg()
    if max_wait_s <= 0 or load[0] < threshold:
        return load
    log(f"  waiting for load < {threshold} (now {load[0]:.2f}, at most {max_wait_s:.0f} s)")
    while waited < max_wait_s:
        time.sleep(poll_s)
        waited += poll_s
        load = os.getloadavg()
        if load[0] < threshold:
            break
    return load
