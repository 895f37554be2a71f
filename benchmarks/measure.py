"""Running a command as a child process and measuring it: wall time, and the peak memory and CPU
time of its whole process tree (the child and every worker it starts), sampled from /proc (Linux)."""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_EVERY_S = 0.2


@dataclass
class Measured:
    wall_s: float
    peak_bytes: int  # largest sum of proportional set size (PSS) over the tree, sampled
    cpu_s: float  # user + system CPU time of every process of the tree, as last sampled
    returncode: int
    output: str
    peak_by_process: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid -> (what it runs, peak PSS)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of one process so far; None when it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return None


def children_of(pid: int) -> list[int]:
    """`pid` and all its descendants alive now."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def memory_of(pid: int) -> int:
    """Proportional set size of one process in bytes (shared pages split among their users);
    0 when it has gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def command_of(pid: int) -> str:
    """What a process runs, shortened (its command line)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    return " ".join(w.decode(errors="replace") for w in words if w)[:80]


def run_measured(command: list[str], env: dict[str, str] | None = None, timeout_s: float = 3600,
                 cwd: Path | None = None) -> Measured:
    """Run `command` (in folder `cwd`, default this one's), its output captured into a temporary
    file, and measure it."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(log, "w+") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                 cwd=cwd)
        peak = 0
        cpu: dict[int, float] = {}
        each: dict[int, tuple[str, int]] = {}
        while child.poll() is None:
            tree = children_of(child.pid)
            sizes = {p: memory_of(p) for p in tree}
            peak = max(peak, sum(sizes.values()))
            for p, size in sizes.items():
                each[p] = (each[p][0] if p in each else command_of(p), max(size, each.get(p, ("", 0))[1]))
            cpu.update({p: c for p in tree if (c := cpu_of(p)) is not None})
            if time.perf_counter() - start > timeout_s:
                child.kill()
            time.sleep(SAMPLE_EVERY_S)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    log.unlink()
    return Measured(wall, peak, sum(cpu.values()), child.returncode, text, each)


def run_writing_json(command: Callable[[str], list[str]], what: str, cwd: Path | None = None) -> tuple[Measured, Any]:
    """Run `command(OUT)` measured (in folder `cwd`), OUT a file it writes its result to as JSON; the
    measurement and that result. A failed run stops the benchmark, naming `what` and showing the end
    of its output."""
    with tempfile.TemporaryDirectory(prefix="ik-bench-") as tmp:
        out = Path(tmp) / "result.json"
        measured = run_measured(command(str(out)), env={"TMPDIR": tmp}, cwd=cwd)
        if measured.returncode != 0:
            raise SystemExit(f"{what} failed ({measured.returncode}):\n{measured.output[-4000:]}")
        return measured, json.loads(out.read_text())


def machine() -> str:
    """Cores, CPU model, memory: what a timing ran on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) / 2**20
    return f"{os.cpu_count()} CPU cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def commit(checkout: Path | None = None) -> str:
    """A checkout's commit (this one's by default), and whether it has uncommitted changes: what a
    timing measured."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=checkout or Path(__file__).resolve().parent, capture_output=True,
                              text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if git("status", "--porcelain") else "")


def other_checkout(folder: Path) -> tuple[str, Path, Path]:
    """A checkout of another commit with its own .venv (`--old`: `git worktree add ../ik-old 7eec3b3`,
    `cp -a .venv ../ik-old/.venv`, `../ik-old/.venv/bin/python -m pip install --no-deps -e ../ik-old`):
    its commit, its Python, which runs this checkout's benchmark scripts with that commit's
    influencer_kit, and its folder, to run them in (a worker process started with `-c`, as
    multiprocessing's forkserver is, imports from the current folder first: run in this checkout,
    it would import this commit's influencer_kit)."""
    root = folder.resolve()
    python = root / ".venv" / "bin" / "python"
    if not python.is_file():
        raise SystemExit(f"{root} has no .venv/bin/python: give it its own .venv with influencer_kit installed from it")
    return commit(root), python, root


def write_report(report: str, name: str) -> None:
    """Write `report` to benchmarks/results/`name` and print it."""
    out = Path(__file__).resolve().parent / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print(report)


def frames_option(description: str) -> int:
    """The `--frames` option of a benchmark that reads spread frames of each clip (default 16)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--frames", type=int, default=16, help="spread frames read from each clip")
    return parser.parse_args().frames
