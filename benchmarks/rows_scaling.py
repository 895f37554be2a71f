"""Every stage of a whole run (`python -m influencer_kit` as a user runs it, MLflow included) timed
at 1,000, 10,000 and 100,000 rows, and how each grows.

    python benchmarks/rows_scaling.py [--sizes 1000 10000 100000] [--kinds failing cached]

Two kinds of sheet:
- failing: every row fails fast, half a missing local file, half an `ftp:` link;
- cached: every row points at one of a few real clips of ../shared/real (used where they are,
  never copied into the repository), repeated; the faces of those clips are computed once before
  timing, so every timed run takes them from the face cache.

Each run is a child process with its own output folder and MLflow store. The growth exponent of a
stage is log(t2 / t1) / log(n2 / n1) between the two largest sizes. Writes
`benchmarks/results/rows_scaling.md` and prints it.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from measure import commit, load, machine, run_writing_json, write_report

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "real" / "clips"
CACHED_CLIPS = 4  # distinct real videos in a cached sheet
STAGES = ["mlflow start", "read spreadsheet", "download", "faces", "people", "ranking", "write outputs", "report", "mlflow"]
SMALL = ["frames_per_video=4", "executor.workers=1"]  # the warm-up's face work, and the key the runs reuse


def sheet(kind: str, n: int, folder: Path) -> Path:
    """A CSV of `n` rows of `kind` in `folder`."""
    if kind == "failing":
        urls = [f"missing/clip_{i}.mp4" if i % 2 == 0 else f"ftp://example.invalid/video_{i}.mp4" for i in range(n)]
    else:
        clips = sorted(CLIPS.glob("*.mp4"))[:CACHED_CLIPS]
        urls = [str(clips[i % len(clips)]) for i in range(n)]
    path = folder / f"{kind}_{n}.csv"
    pd.DataFrame({"Video URL": urls, "Performance": [(i * 37 % 101) / 10 for i in range(n)],
                  "Caption": [f"post {i}" for i in range(n)]}).to_csv(path, index=False)
    return path


def run_one(data: Path, work: Path, out: Path) -> None:
    """Child process: one job as the CLI runs it (pipeline inside an MLflow run, then logging),
    writing the seconds of each stage and the row counts to `out`."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import make_config

    from influencer_kit import pipeline
    from influencer_kit.experiment import mlflow_run as tracking
    from influencer_kit.experiment.run_metrics import run_metrics

    cfg = make_config(work, [f"data.path={data}", f"cache.dir={work.parent / 'cache'}", *SMALL])
    start = time.perf_counter()
    with tracking.job_run(cfg):
        started = time.perf_counter() - start
        result = pipeline.run(cfg)
        result.timings["mlflow start"] = started
        logging_start = time.perf_counter()
        metrics, notes = run_metrics(result, cfg)
        tracking.log_result(result, cfg, metrics, notes)
        result.timings["mlflow"] = time.perf_counter() - logging_start
    table = pd.read_csv(result.output_dir / "ProcessedVideos_videos.csv")
    out.write_text(json.dumps({
        "timings": result.timings, "total": time.perf_counter() - start, "rows_out": len(table),
        "rows_in_order": bool((table["row"] == range(1, len(table) + 1)).all()),
        "report_bytes": (result.output_dir / "report.html").stat().st_size,
        "influencers": len(result.metrics)}))


def growth(small: tuple[int, float], large: tuple[int, float]) -> float:
    return math.log(max(large[1], 1e-3) / max(small[1], 1e-3)) / math.log(large[0] / small[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--kinds", nargs="*", default=["failing", "cached"])
    parser.add_argument("--one", nargs=3, metavar=("DATA", "WORK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(*map(Path, args.one))
        return
    load_before = load()
    lines = ["| sheet | rows | " + " | ".join(STAGES) + " | whole run s | rows out | report KiB |",
             "|---" * (len(STAGES) + 5) + "|"]
    exponents = ["| sheet | " + " | ".join(STAGES) + " | whole run |", "|---" * (len(STAGES) + 2) + "|"]
    with tempfile.TemporaryDirectory(prefix="ik-rows-") as tmp:
        root = Path(tmp)
        for kind in args.kinds:
            if kind == "cached":
                run(root, kind, 8, "warm-up")  # fills the face cache the timed runs read
            times = {}
            for n in args.sizes:
                got = run(root, kind, n, f"{kind} {n}")
                assert got["rows_out"] == n and got["rows_in_order"], got
                times[n] = got
                stages = " | ".join(f"{got['timings'].get(s, 0.0):.2f}" for s in STAGES)
                lines.append(f"| {kind} | {n:,} | {stages} | {got['total']:.1f} | {got['rows_out']:,} | "
                             f"{got['report_bytes'] / 1024:.0f} |")
                print(lines[-1], flush=True)
            small, large = sorted(times)[-2:]
            per_stage = [growth((small, times[small]["timings"].get(s, 0.0)), (large, times[large]["timings"].get(s, 0.0)))
                         for s in STAGES]
            whole = growth((small, times[small]["total"]), (large, times[large]["total"]))
            exponents.append(f"| {kind} | " + " | ".join(f"{e:.2f}" for e in per_stage) + f" | {whole:.2f} |")
    report = (
        "# Every stage by number of rows\n\n"
        f"Machine: {machine()}. Commit {commit()}. Load average before: {load_before}, after: {load()}.\n"
        "Each run: `pipeline.run` inside an MLflow run (SQLite store), then the run's metrics and files "
        "logged, as `python -m influencer_kit` does (*mlflow start*: opening the run, a new SQLite store each time; "
        "*mlflow*: logging metrics and files); a child process each, progress bars off. "
        "*failing*: half the rows a missing file, half an `ftp:` link. *cached*: rows pointing at "
        f"{CACHED_CLIPS} real clips of ../shared/real, repeated, their faces from the face cache "
        "(computed once before timing). Seconds per stage:\n\n"
        + "\n".join(lines)
        + f"\n\nGrowth exponent k (time ~ n^k) between {sorted(args.sizes)[-2]:,} and {sorted(args.sizes)[-1]:,} rows; "
        "stages under 10 ms at both sizes are noise (a floor of 1 ms is used):\n\n" + "\n".join(exponents) + "\n"
    )
    write_report(report, "rows_scaling.md")


def run(root: Path, kind: str, n: int, what: str) -> dict:
    """One measured child run of a `kind` sheet of `n` rows."""
    data = sheet(kind, n, root)
    work = root / f"{kind}_{n}"
    _, got = run_writing_json(lambda out: [sys.executable, __file__, "--one", str(data), str(work), out], what)
    return got


if __name__ == "__main__":
    main()
