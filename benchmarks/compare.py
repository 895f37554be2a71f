"""Side by side on one labelled data set: (a) the seed's one-frame approach (and the same with its
best DBSCAN eps), (b) influencer-kit with its defaults (and, with `--old`, another commit's with
its defaults), (c) a 5-point `cluster.eps` sweep.

    python benchmarks/compare.py --videos 40
    python benchmarks/compare.py --data real_report --videos 200 [--old ../ik-old] [--no-sweep]

The data sets (benchmarks/build_data.py): `people` (default), videos made from the photos of
../shared/faces, one of the sets the default identity cut was chosen on; `real_report`, rows of
the `report` part of the real-footage set (benchmarks/real_set.py), clips the defaults were not
chosen on. `--old DIR`: a checkout of another commit with its own .venv (measure.other_checkout)
runs (b) too, with this checkout's benchmarks/kit_runner.py and that commit's influencer_kit.

Each approach runs as a child process from an empty cache, measured for wall time and the peak
memory of its process tree. Scores compare each row's person with the data set's `Person` over the
rows that have one; a row with a person but no prediction counts as a person of its own (a miss).
Rows with nobody (no `Person`, and no one in `People` or `Everyone`) are left out of the scores
and counted apart: those given a person. Writes `benchmarks/results/compare_<N>.md`
(`compare_<N>_<data>.md` for a data set other than `people`) and prints it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from build_data import DATA_SETS, DEFAULT_ROWS
from measure import Measured, commit, load, machine, other_checkout, run_writing_json, write_report

from influencer_kit.experiment.evaluation import external_scores

HERE = Path(__file__).resolve().parent
SWEEP = [0.3, 0.4, 0.5, 0.6, 0.7]


@dataclass
class Row:
    """One line of the table."""

    name: str
    wall_s: float
    cpu_s: float
    peak_bytes: int
    frames: int
    faces_detected: int
    faces_embedded: int
    scores: dict[str, float]
    stages: dict[str, float] = field(default_factory=dict)
    note: str = ""
    nobody_given: str = ""  # rows with nobody given a person, of how many ("k/n")


def scores(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """BCubed and ARI over rows with a true person; a missing prediction is a person of its own."""
    pairs = [(t, p or f"missed-{i}") for i, (t, p) in enumerate(zip(truth, predicted)) if t]
    return external_scores([t for t, _ in pairs], [p for _, p in pairs])


@dataclass
class Truth:
    """The data set's labels: each row's main person ('' for none) and the rows showing nobody."""

    person: list[str]
    nobody: list[int]

    @classmethod
    def read(cls, csv: Path) -> Truth:
        sheet = pd.read_csv(csv, dtype=str, keep_default_na=False)
        everyone = next((c for c in ("People", "Everyone") if c in sheet.columns), "Person")
        return cls(list(sheet["Person"]), [i for i, cell in enumerate(sheet[everyone]) if not cell])

    def nobody_given(self, predicted: list[str]) -> str:
        """Rows with nobody that get a person, of the rows with nobody."""
        return f"{sum(1 for i in self.nobody if predicted[i])}/{len(self.nobody)}"


def run_child(script: str, args: list[str], options: list[str] = (), old: tuple[str, Path, Path] | None = None
              ) -> tuple[Measured, object]:
    """Run a benchmark script as a child process (`script ARGS OUT OPTIONS`), with this Python in
    this checkout or with `old`'s (measure.other_checkout) in its folder; its measurement and the
    JSON it wrote to OUT."""
    python, folder = (Path(sys.executable), HERE.parent) if old is None else old[1:]
    return run_writing_json(lambda out: [str(python), str(HERE / script), *args, out, *options],
                            script if old is None else f"{script} with {python}", cwd=folder)


def baseline_rows(csv: Path, labels: Truth) -> list[Row]:
    truth = labels.person
    measured, found = run_child("baseline.py", [str(csv)])
    predicted = {float(eps): found_labels for eps, found_labels in found["predictions"].items()}
    by_eps = {eps: scores(truth, found_labels) for eps, found_labels in predicted.items()}
    best = max(by_eps, key=lambda e: (by_eps[e]["bcubed_f"], -abs(e - 0.7)))
    common = dict(wall_s=measured.wall_s, cpu_s=measured.cpu_s, peak_bytes=measured.peak_bytes, frames=found["frames"],
                  faces_detected=found["faces_detected"], faces_embedded=found["faces_embedded"],
                  stages=found["times"])
    return [
        Row("(a) seed: first frame, DeepFace Dlib, DBSCAN eps=0.7", scores=by_eps[0.7], **common,
            nobody_given=labels.nobody_given(predicted[0.7])),
        Row(f"(a') seed with its best eps={best:g} (of {len(by_eps)} tried)", scores=by_eps[best], **common,
            note="eps chosen by looking at the true labels", nobody_given=labels.nobody_given(predicted[best])),
    ]


def kit_row(name: str, csv: Path, labels: Truth, eps: list[float], old: tuple[str, Path, Path] | None = None) -> Row:
    """influencer-kit (this checkout's, or `old`'s) with its defaults, or a sweep of `eps`."""
    truth = labels.person
    with tempfile.TemporaryDirectory(prefix="ik-bench-work-") as work:
        options = ["--eps", *map(str, eps)] if eps else []
        measured, jobs = run_child("kit_runner.py", [str(csv), work], options, old)
    failed = [f"{j['name']}: {j['error']}" for j in jobs if "error" in j]
    if failed:
        raise SystemExit(f"{name} failed: " + "; ".join(failed))
    best = max(jobs, key=lambda j: scores(truth, j["predictions"])["bcubed_f"])
    stages: dict[str, float] = {}
    for job in jobs:
        for stage, seconds in job["times"].items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    note = "" if not eps else "scores of the best job (" + ", ".join(
        f"eps {e:g}: F {scores(truth, j['predictions'])['bcubed_f']:.3f}" for e, j in zip(eps, jobs)) + ")"
    first = jobs[0]  # later jobs of a sweep read the faces the first one computed
    return Row(name, measured.wall_s, measured.cpu_s, measured.peak_bytes, first["frames"],
               first["faces_detected"], first["faces_embedded"], scores(truth, best["predictions"]), stages, note,
               labels.nobody_given(best["predictions"]))


def fastest_run(runs: list[Row]) -> Row:
    """The run with the least wall time (the one other work on the machine disturbed least),
    noting every run's wall time."""
    fastest = min(runs, key=lambda r: r.wall_s)
    if len(runs) > 1:
        walls = ", ".join(f"{r.wall_s:.1f}" for r in runs)
        fastest.note = "; ".join(filter(None, [fastest.note, f"wall s of the {len(runs)} runs: {walls} (fastest shown)"]))
    return fastest


def table(rows: list[Row]) -> str:
    base = rows[0]
    head = ("| approach | wall s | x (a) | CPU s | x (a) | peak memory MiB | x (a) | frames | faces detected "
            "| faces embedded | BCubed F | ARI | rows with nobody given a person | time per stage (s) |\n"
            + "|---" * 14 + "|\n")
    lines = []
    for r in rows:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r.stages.items() if v >= 0.05)
        lines.append(
            f"| {r.name} | {r.wall_s:.1f} | {r.wall_s / base.wall_s:.2f} | {r.cpu_s:.1f} | {r.cpu_s / base.cpu_s:.2f} "
            f"| {r.peak_bytes / 2**20:.0f} "
            f"| {r.peak_bytes / base.peak_bytes:.2f} | {r.frames} | {r.faces_detected} | {r.faces_embedded} "
            f"| {r.scores['bcubed_f']:.3f} | {r.scores['ari']:.3f} | {r.nobody_given} | {stages} |")
    notes = [f"- {r.name}: {r.note}" for r in rows if r.note]
    return head + "\n".join(lines) + ("\n\n" + "\n".join(notes) if notes else "")


DATA_WORDS = {
    "people": "videos made from the photos of ../shared/faces (benchmarks/build_data.py; {n} with one or two "
              "people, +1 with nobody), one of the sets the default identity cut was chosen on",
    "real_report": "{n} rows of the `report` part of the real-footage set (benchmarks/real_set.py, built from "
                   "../shared/real: clips cut into posts of 3-6 s, each varied one way: none, 9:16 crop, 360p, "
                   "mirrored, title card, subtitles; plus per set a re-post and a re-encoded re-post), clips the "
                   "defaults were not chosen on; the report rows of the set built with seed 0, then seed 1, ... "
                   "until there are {n}, a video with the same bytes as a row of an earlier seed left out "
                   "(build_data.real_report_dataset)",
}


def set_size(csv: Path, labels: Truth) -> str:
    people = set(labels.person) - {""}
    return (f"{len(labels.person)} rows: {len(labels.person) - labels.person.count('')} with a main person "
            f"({len(people)} people), {len(labels.nobody)} with nobody, "
            f"{labels.person.count('') - len(labels.nobody)} with people but no main person")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=list(DATA_SETS), default="people", help="the data set (default people)")
    parser.add_argument("--videos", type=int, help="videos (rows) of the data set: 40 for people, 200 for real_report")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each approach, interleaved; the fastest is shown")
    parser.add_argument("--old", type=Path, help="a checkout of another commit, with its own .venv: runs (b) too")
    parser.add_argument("--sweep", action=argparse.BooleanOptionalAction, default=True,
                        help="run (c), the cluster.eps sweep (default on)")
    args = parser.parse_args()
    n = args.videos or DEFAULT_ROWS[args.data]
    csv = DATA_SETS[args.data](n)
    labels = Truth.read(csv)
    old = other_checkout(args.old) if args.old else None
    this = commit()
    load_before = load()
    rounds = []
    for _ in range(args.repeat):
        rows = baseline_rows(csv, labels)
        if old:
            rows.append(kit_row(f"(b) influencer-kit at {old[0]} (--old), defaults", csv, labels, [], old))
        rows.append(kit_row(f"(b) influencer-kit{' at ' + this if old else ''}, defaults", csv, labels, []))
        if args.sweep:
            rows.append(kit_row(f"(c) influencer-kit, cluster.eps sweep {SWEEP}, one face cache", csv, labels, SWEEP))
        rounds.append(rows)
    rows = [fastest_run(list(runs)) for runs in zip(*rounds)]
    kit = rows[3] if old else rows[2]
    summary = [f"(b) costs {kit.wall_s / rows[0].wall_s:.2f}x the wall time of (a)"
               + (f"; (b) at {old[0]} costs {rows[2].wall_s / rows[0].wall_s:.2f}x" if old else "") + "."]
    if args.sweep:
        summary.append(f"(c) costs {rows[-1].wall_s / kit.wall_s:.2f}x the wall time of (b).")
    title = f"{n} videos (+1 with nobody)" if args.data == "people" else f"{n} rows of {args.data}"
    report = (
        f"# Speed comparison, {title}\n\n"
        f"Machine: {machine()}. Load average (1/5/15 min) before: {load_before}, after: {load()}. "
        f"Commit {this}{f'; --old {args.old.resolve()} at {old[0]}' if old else ''}. "
        f"Data: {DATA_WORDS[args.data].format(n=n)}; {set_size(csv, labels)}. "
        f"Every approach starts from an empty cache in a fresh process; wall time "
        f"includes starting Python and loading models; CPU s is user + system time summed over the "
        f"process tree; peak memory is the largest sum of PSS over the tree (both sampled every 0.2 s). "
        f"Frames: frames decoded and searched for faces; faces embedded: distinct embeddings computed. "
        f"Scores: each row's person against the data set's `Person`, over the rows with one (a row with no "
        f"prediction counts as a person of its own); rows with nobody (no one in `People`/`Everyone`) are "
        f"left out of the scores, and counted in the column of rows with nobody given a person. (a) runs "
        f"deepface's Dlib model on the dlib ResNet weights of "
        f"face_recognition_models (the same file deepface would download); (a') is the same run "
        f"re-clustered with the eps that scores best. influencer-kit runs with MLflow tracking off and a "
        f"new registry of known people"
        + ("; the --old row runs this checkout's benchmarks/kit_runner.py with the old checkout's .venv "
           "(its influencer_kit and defaults)" if old else "")
        + ("; (c) runs its five jobs one after another in one process, as Hydra's basic launcher does, "
           "sharing one face cache and leaving the registry alone" if args.sweep else "")
        + ".\n\n" + table(rows) + "\n\n" + " ".join(summary) + "\n"
    )
    write_report(report, f"compare_{n}.md" if args.data == "people" else f"compare_{n}_{args.data}.md")


if __name__ == "__main__":
    main()
