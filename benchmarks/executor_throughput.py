"""Throughput of the per-video work under `executor=local` and `executor=ray`, with 1 and 2 workers.

    python benchmarks/executor_throughput.py --videos 40

Each configuration runs the pipeline (MLflow tracking off) in a fresh child process from an empty
cache, `--repeats` times taking turns with the others, and the run with the shortest faces stage
is kept (on a shared machine the least disturbed one); Ray's is a local instance the run starts itself. Two throughputs: distinct videos
per second of the whole faces stage, which includes starting the workers (and Ray) and loading the
models in each; and the steady rate once results flow, from the times the face cache records as
each result arrives (videos after the first / time from the first to the last). Writes
`benchmarks/results/executor_throughput.md` and prints it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from build_data import people_dataset
from measure import Measured, commit, load, machine, run_writing_json, write_report

CONFIGS = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]


def one_run(executor: str, workers: int, csv: Path, out: Path) -> None:
    """Child process: run the pipeline once; write what `kit_runner.job` reports, and when each
    video's result arrived (the face cache's log), to `out`."""
    from kit_runner import job

    from influencer_kit import config

    config.register_configs()
    with tempfile.TemporaryDirectory(prefix="ik-bench-work-") as work:
        found = job(csv, Path(work), "run", [f"executor={executor}", f"executor.workers={workers}"])
        [log] = (Path(work) / "cache" / "faces").glob("*/computed.jsonl")
        found["arrived"] = sorted(json.loads(line)["time"] for line in log.read_text().splitlines())
    out.write_text(json.dumps(found))


def measure(executor: str, workers: int, csv: Path) -> tuple[Measured, dict]:
    return run_writing_json(lambda out: [sys.executable, __file__, "--run", executor, str(workers), str(csv), out],
                            f"{executor} x{workers}")


def row(executor: str, workers: int, m: Measured, found: dict, expected: list[str]) -> str:
    faces_s, arrived = found["times"]["faces"], found["arrived"]
    flowing_s = arrived[-1] - arrived[0]
    return (f"| {executor} | {workers} | {len(arrived) / faces_s:.2f} | {(len(arrived) - 1) / flowing_s:.2f} "
            f"| {faces_s - flowing_s:.1f} | {faces_s:.1f} | {m.wall_s:.1f} | {m.cpu_s:.1f} | {m.peak_bytes / 2**20:.0f} "
            f"| {'yes' if found['predictions'] == expected else 'NO'} | {per_process(m)} |")


def per_process(m: Measured) -> str:
    """Each process's peak memory (PSS: shared pages split among their users) in MiB, largest first:
    the main process, then its workers and helpers."""
    return ", ".join(f"{size / 2**20:.0f}" for _, size in sorted(m.peak_by_process.values(), key=lambda p: -p[1])
                     if size > 2**20)


def table(runs: list[tuple[str, int, Measured, dict]]) -> str:
    head = ("| executor | workers | videos/s, faces stage | videos/s, steady | first result after s | faces stage s "
            "| wall s | CPU s | peak memory MiB | same influencers as local x1 | each process's peak MiB |\n"
            + "|---" * 11 + "|\n")
    expected = runs[0][3]["predictions"]
    return head + "\n".join(row(*run, expected) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--name", default="executor_throughput.md")
    parser.add_argument("--executors", default="local,ray", help="which of local and ray to measure")
    parser.add_argument("--run", nargs=4, metavar=("EXECUTOR", "WORKERS", "CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        executor, workers, csv, out = args.run
        one_run(executor, int(workers), Path(csv), Path(out))
        return
    csv = people_dataset(args.videos)
    load_before = load()
    configs = [(executor, workers) for executor, workers in CONFIGS if executor in args.executors.split(",")]
    tries = [[measure(executor, workers, csv) for executor, workers in configs] for _ in range(args.repeats)]
    runs = [(executor, workers, *min((t[i] for t in tries), key=lambda mf: mf[1]["times"]["faces"]))
            for i, (executor, workers) in enumerate(configs)]
    report = (
        f"# Executor throughput, {args.videos} videos (+1 with nobody)\n\n"
        f"Machine: {machine()}. Load average (1/5/15 min) before: {load_before}, after: {load()}. "
        f"Commit {commit()}. Each row is the run with the shortest faces stage of {args.repeats}, each "
        f"from an empty cache in a fresh process, defaults otherwise (frames_per_video, detector, embedder), tracking off. "
        f"videos/s, faces stage: {args.videos + 1} distinct videos / the faces stage, which includes "
        f"starting the workers (and, for ray, a local Ray instance) and loading the models in each. "
        f"videos/s, steady: videos after the first / time from the first result to the last (as the "
        f"face cache logged them); first result after: the rest of the faces stage. CPU s and peak "
        f"memory (largest sum of PSS, sampled every 0.2 s) cover the run's whole process tree; Ray's "
        f"own processes (GCS, raylet, workers) are children of the run. Threads: each worker gets cores // "
        f"workers for ONNX Runtime and FFmpeg (`IK_THREADS`), so local x1 runs 1 process x {os.cpu_count()} "
        f"threads and local x2 2 x {max(1, (os.cpu_count() or 1) // 2)}.\n\n" + table(runs) + "\n"
    )
    write_report(report, args.name)


if __name__ == "__main__":
    main()
