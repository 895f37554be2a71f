"""Right on real footage: the seed-style approach, influencer-kit's defaults, each clusterer and each
embedder that runs here, on one part of the real-footage set (benchmarks/real_set.py), scored
against the clips' labels.

    python benchmarks/real_footage.py [--part tune|report|all] [--approach NAME ...] [--set key=value ...]

Each approach runs in a child process from an empty cache; the influencer-kit approaches that share
an embedder run as jobs of one child, sharing its face cache as a sweep's jobs do. A failing approach
is recorded as `failed: <why>` and the others still run. Writes benchmarks/results/real_footage.md
(`--part report`) or real_footage_<part>.md, and prints it.

Scores, over rows with a `Person` (a row with no influencer counts as a person of its own):
BCubed F/precision/recall and ARI of `influencer` against `Person`; people found (a true person
whose rows mostly get one id that is no other person's majority id); merges (an id holding 2+
people) and splits (a person spread over 2+ ids). Co-appearances: of the people a row's `People`
lists (rows with 2+, `extras_*` groups left out), how many its `influencers` holds. False faces:
rows with nobody in `People` that get an influencer, the ids seen only on such rows, and the people
in `influencers` beyond a row's true count (clips with `extras_*` groups left out).
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
from compare import run_child, scores
from measure import commit, load, machine, write_report
from real_set import PARTS, TUNE_CLIPS, build_real_set

NONE = "(none)"  # how a row with no influencer shows in merge and split lists

# influencer-kit approaches: name -> Hydra overrides. The deepface embedders need their weights.
# `before` is the defaults this benchmark was built to fix: DBSCAN at dlib's pair distance 0.6 with
# min_samples=1 (single linkage), one video's faces grouped at 0.5.
CLUSTERERS = {"defaults": [], "before": ["cluster=dbscan", "cluster.eps=0.6", "people.within_video_distance=0.5"],
              "dbscan": ["cluster=dbscan"], "hdbscan": ["cluster=hdbscan"],
              "chinese_whispers": ["cluster=chinese_whispers"]}
DEEPFACE_MODELS = ["Facenet512", "ArcFace", "SFace"]
SEED = "seed"


def named(labels: list[str]) -> list[str]:
    """People among a row's labels: `extras_*` groups left out."""
    return [p for p in labels if p and not p.startswith("extras_")]


def majority_ids(truth: list[str], predicted: list[str]) -> dict[str, str]:
    """Each true person's most common predicted id over their rows ('' when that is no id; a tie
    goes to the id of their earliest row)."""
    ids: dict[str, Counter] = {}
    for person, found in zip(truth, predicted):
        if person:
            ids.setdefault(person, Counter())[found] += 1
    return {person: counts.most_common(1)[0][0] for person, counts in ids.items()}


def people_found(truth: list[str], predicted: list[str]) -> tuple[int, int]:
    """How many true people get an influencer of their own (their majority id is an id, and no other
    person's majority id), out of how many."""
    majority = majority_ids(truth, predicted)
    shared = Counter(majority.values())
    return sum(1 for found in majority.values() if found and shared[found] == 1), len(majority)


def merges(truth: list[str], predicted: list[str]) -> dict[str, list[str]]:
    """Each predicted id whose rows hold 2+ true people: id -> those people."""
    people: dict[str, set[str]] = {}
    for person, found in zip(truth, predicted):
        if person and found:
            people.setdefault(found, set()).add(person)
    return {found: sorted(held) for found, held in sorted(people.items()) if len(held) > 1}


def splits(truth: list[str], predicted: list[str]) -> dict[str, list[str]]:
    """Each true person whose rows go to 2+ ids (rows with none count as NONE): person -> the ids."""
    ids: dict[str, set[str]] = {}
    for person, found in zip(truth, predicted):
        if person:
            ids.setdefault(person, set()).add(found or NONE)
    return {person: sorted(held) for person, held in sorted(ids.items()) if len(held) > 1}


def co_appearances(people: list[list[str]], influencers: list[list[str]], person_ids: dict[str, str]) -> tuple[int, int]:
    """Over rows with 2+ people: how many of them their `influencers` holds, out of how many.
    A person with an id (`person_ids`: their majority id) counts when that id is in the row (each id
    counts once); the others count against the row's ids that are nobody's majority id."""
    found = expected = 0
    known_ids = set(person_ids.values())
    for labels, ids in zip(people, influencers):
        row_people = named(labels)
        if len(row_people) < 2:
            continue
        expected += len(row_people)
        used = set()
        for person in row_people:
            if person_ids.get(person) in set(ids) - used:
                used.add(person_ids[person])
        unnamed = sum(1 for person in row_people if not person_ids.get(person))
        found += len(used) + min(unnamed, len(set(ids) - used - known_ids))
    return found, expected


def false_faces(people: list[list[str]], influencer: list[str], influencers: list[list[str]]) -> tuple[list[int], list[str]]:
    """Rows with nobody in `People` that get an influencer or any `influencers` (their indices), and
    the ids seen on such rows only."""
    empty = [i for i, labels in enumerate(people) if not named(labels)]
    flagged = [i for i in empty if influencer[i] or influencers[i]]

    def ids_on(rows: list[int]) -> set[str]:
        return {found for i in rows for found in [influencer[i], *influencers[i]] if found}

    others = [i for i in range(len(people)) if i not in set(empty)]
    return flagged, sorted(ids_on(flagged) - ids_on(others))


def extra_people(people: list[list[str]], influencers: list[list[str]]) -> int:
    """People in `influencers` beyond each row's true count, over rows without `extras_*` groups."""
    return sum(max(0, len(set(ids)) - len(named(labels))) for labels, ids in zip(people, influencers)
               if not any(p.startswith("extras_") for p in labels))


@dataclass
class Outcome:
    """One approach on the set: what it predicted per row, or why it failed."""

    name: str
    influencer: list[str] = field(default_factory=list)
    influencers: list[list[str]] | None = None  # None: the approach gives only one person per row
    status: list[str] = field(default_factory=list)
    wall_s: float | None = None
    error: str = ""
    note: str = ""

    def everyone(self) -> list[list[str]]:
        """Each row's `influencers`; an approach without them gives an empty list per row."""
        return self.influencers if self.influencers is not None else [[] for _ in self.influencer]


def split_list(cell: str) -> list[str]:
    return cell.split(";") if cell else []


@dataclass
class Sheet:
    """The part's rows as the scorer needs them."""

    truth: list[str]
    people: list[list[str]]
    videos: list[str]

    @classmethod
    def read(cls, csv: Path) -> "Sheet":
        rows = pd.read_csv(csv, dtype=str, keep_default_na=False)
        return cls(list(rows["Person"]), [split_list(p) for p in rows["People"]], list(rows["Video_URL"]))


def table_row(sheet: Sheet, outcome: Outcome) -> str:
    if outcome.error:
        return f"| {outcome.name} | failed: {outcome.error} |" + " |" * 10
    s = scores(sheet.truth, outcome.influencer)
    found, total = people_found(sheet.truth, outcome.influencer)
    flagged, _ = false_faces(sheet.people, outcome.influencer, outcome.everyone())
    failed = sum(1 for st in outcome.status if st not in ("ok", "no_face"))
    if outcome.influencers is None:
        co = extra = "—"
    else:
        person_ids = {p: i for p, i in majority_ids(sheet.truth, outcome.influencer).items() if i}
        co = "{}/{}".format(*co_appearances(sheet.people, outcome.influencers, person_ids))
        extra = str(extra_people(sheet.people, outcome.influencers))
    wall = f"{outcome.wall_s:.1f}" if outcome.wall_s is not None else "—"
    return (f"| {outcome.name} | {s['bcubed_f']:.3f} | {s['bcubed_precision']:.3f} | {s['bcubed_recall']:.3f} "
            f"| {s['ari']:.3f} | {found}/{total} | {len(merges(sheet.truth, outcome.influencer))} "
            f"| {len(splits(sheet.truth, outcome.influencer))} | {co} | {len(flagged)} | {extra} | {failed} | {wall} |")


def details(sheet: Sheet, outcome: Outcome) -> str:
    """The merges, splits and false faces of one approach, by label."""
    if outcome.error:
        return ""
    lines = [f"{found}: {' + '.join(people)}" for found, people in merges(sheet.truth, outcome.influencer).items()]
    text = f"**{outcome.name}**\n\n- merges: " + ("; ".join(lines) or "none")
    lines = [f"{person}: {', '.join(ids)}" for person, ids in splits(sheet.truth, outcome.influencer).items()]
    text += "\n- splits: " + ("; ".join(lines) or "none")
    flagged, only = false_faces(sheet.people, outcome.influencer, outcome.everyone())
    text += "\n- no-face rows with a face: " + (", ".join(
        f"{sheet.videos[i]} ({outcome.influencer[i] or '-'}; {';'.join(outcome.influencers[i]) if outcome.influencers else '-'})"
        for i in flagged) or "none")
    text += "\n- ids seen only on no-face rows: " + (", ".join(only) or "none")
    return text + (f"\n- note: {outcome.note}" if outcome.note else "") + "\n"


def run_seed(csv: Path) -> list[Outcome]:
    """benchmarks/baseline.py (first frame, DBSCAN eps 0.7) on the part; it reads a `Video URL`
    column of paths relative to its csv, so it gets a copy with that column."""
    rows = pd.read_csv(csv, dtype=str, keep_default_na=False)
    with tempfile.TemporaryDirectory(prefix="ik-real-seed-") as tmp:
        copy = Path(tmp) / "videos.csv"
        rows.assign(**{"Video URL": [str(csv.parent / url) for url in rows["Video_URL"]]}).to_csv(copy, index=False)
        try:
            measured, found = run_child("baseline.py", [str(copy)])
        except SystemExit as err:
            return [Outcome(SEED, error=last_line(str(err)))]
    truth = list(rows["Person"])
    by_eps = {float(eps): labels for eps, labels in found["predictions"].items()}
    best = max(by_eps, key=lambda e: (scores(truth, by_eps[e])["bcubed_f"], -abs(e - 0.7)))
    note = (f"with the eps that suits this part's labels best ({best:g}, of {len(by_eps)} tried; chosen by "
            f"looking at the labels, so not a fair figure) BCubed F would be {scores(truth, by_eps[best])['bcubed_f']:.3f}")
    return [Outcome(f"{SEED}: first frame, DeepFace Dlib, DBSCAN eps=0.7", by_eps[0.7], None, ["ok"] * len(truth),
                    measured.wall_s, note=note)]


def last_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[-1][:300]


def run_kit(csv: Path, jobs: dict[str, list[str]], extra: list[str]) -> list[Outcome]:
    """influencer-kit jobs (name -> overrides, each with `extra` too) in one child, sharing one face
    cache: each job's outcome, named by its overrides."""
    options = [arg for name, overrides in jobs.items() for arg in ("--job", name, *overrides, *extra)]
    titles = {name: " ".join(o for o in [*overrides, *extra] if not o.startswith("embedder.weights_dir"))
              or "influencer-kit defaults"
              for name, overrides in jobs.items()}
    with tempfile.TemporaryDirectory(prefix="ik-real-work-") as work:
        try:
            _, results = run_child("kit_runner.py", [str(csv), work], options)
        except SystemExit as err:
            return [Outcome(titles[name], error=last_line(str(err))) for name in jobs]
    return [Outcome(titles[r["name"]], error=r["error"], wall_s=r["wall_s"]) if "error" in r else
            Outcome(titles[r["name"]], r["predictions"], [split_list(c) for c in r["influencers"]], r["status"],
                    r["wall_s"])
            for r in results]


def kit_groups(chosen: set[str] | None) -> tuple[list[dict[str, list[str]]], list[str]]:
    """The influencer-kit jobs chosen (all when None), grouped by embedder (a group shares one face
    cache), and a line for each approach that cannot run here."""
    from influencer_kit_plugins.deepface_models import weights_present

    def wanted(name: str) -> bool:
        return chosen is None or name in chosen or name.split("_")[0] in chosen

    installed = {e.name for e in entry_points(group="influencer_kit")}
    skipped = []
    dlib = {}
    for name, overrides in CLUSTERERS.items():
        if overrides and overrides[0].removeprefix("cluster=") not in installed:
            skipped.append(f"cluster={name}: skipped, its plugin is not installed (`.venv/bin/pip install ./tests/example_plugin`)")
        elif wanted(name):
            dlib[name] = overrides
    groups = [dlib]
    if wanted("deepface_Dlib"):
        from baseline import deepface_home_with_dlib_weights

        groups.append({"deepface_Dlib": ["embedder=deepface", "embedder.model_name=Dlib",
                                         f"embedder.weights_dir={deepface_home_with_dlib_weights()}"]})
    for model in DEEPFACE_MODELS:
        if not weights_present(model):
            skipped.append(f"embedder=deepface embedder.model_name={model}: skipped, its weights are not in "
                           f"~/.deepface/weights and cannot be downloaded here")
        elif wanted(f"deepface_{model}"):
            groups.append({f"deepface_{model}": ["embedder=deepface", f"embedder.model_name={model}"]})
    return [g for g in groups if g], skipped


def set_size(csv: Path) -> str:
    """Rows, clips and people of each part of the set `csv` belongs to."""
    rows = pd.read_csv(csv.parent / "videos.csv", dtype=str, keep_default_na=False)
    lines = []
    for part, part_rows in [*rows.groupby("Part"), ("both", rows)]:
        people = {p for cell in part_rows["People"] for p in named(split_list(cell))}
        mains = set(part_rows["Person"]) - {""}
        lines.append(f"| {part} | {len(part_rows)} | {part_rows['Clip'].nunique()} | {len(mains)} | {len(people)} "
                     f"| {sum(part_rows['People'] == '')} | {sum(part_rows['People'].map(lambda c: len(named(split_list(c)))) > 1)} |")
    return ("| part | rows | clips | main people | people seen | rows with nobody | rows with 2+ people |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(lines))


def report(part: str, csv: Path, sheet: Sheet, outcomes: list[Outcome], skipped: list[str], extra: list[str],
           load_before: str) -> str:
    head = ("| approach | BCubed F | precision | recall | ARI | people found | merges | splits | co-appearances "
            "| no-face rows with a face | extra people | rows failed | wall s |\n" + "|---" * 13 + "|\n")
    return (
        f"# Right on real footage: part `{part}`\n\n"
        f"Machine: {machine()}. Load average (1/5/15 min) before: {load_before}, after: {load()}. "
        f"Commit {commit()}. Extra overrides for every influencer-kit approach: {' '.join(extra) or 'none'}.\n\n"
        f"The set (`benchmarks/real_set.py`, built from `../shared/real`): each clip cut into 1-3 posts of "
        f"3-6 s, each varied one way (none, 9:16 crop, 360p, mirrored, title card, subtitles), plus per "
        f"part a re-post (same bytes) and a re-encoded re-post.\n\n{set_size(csv)}\n\n"
        f"The parts: clips sharing a person stay in one part. `tune` (defaults are chosen on it) holds "
        f"{', '.join(sorted(c.removesuffix('.mp4') for c in TUNE_CLIPS))}; `report` holds every other clip.\n\n"
        f"Each approach runs in a child process from an empty cache. The influencer-kit approaches with one "
        f"embedder are jobs of one child sharing its face cache, so the first job's wall time includes "
        f"computing the faces and the others' does not. People found: true main people whose rows "
        f"mostly get an influencer of their own. Co-appearances: people found in `influencers` of rows "
        f"with 2+ people / people there. No-face rows with a face: rows of clips with nobody that get "
        f"an influencer or any `influencers`. Extra people: people in `influencers` beyond each row's "
        f"true count (clips with background extras left out). Rows failed: status other than ok or "
        f"no_face.\n\n"
        + head + "\n".join(table_row(sheet, o) for o in outcomes) + "\n\n"
        + "".join(f"- {line}\n" for line in skipped) + "\n## Merges, splits and false faces\n\n"
        + "\n".join(filter(None, (details(sheet, o) for o in outcomes)))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="report", choices=[*PARTS, "all"])
    parser.add_argument("--approach", action="append", metavar="NAME",
                        help=f"{SEED}, defaults, before, dbscan, hdbscan, chinese_whispers, deepface (all its models) or "
                             "deepface_MODEL (repeatable; default all)")
    parser.add_argument("--set", action="append", default=[], metavar="key=value",
                        help="an extra Hydra override for every influencer-kit approach (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    csv = build_real_set(seed=args.seed, part=args.part)
    sheet = Sheet.read(csv)
    chosen = set(args.approach) if args.approach else None
    load_before = load()
    outcomes = run_seed(csv) if chosen is None or SEED in chosen else []
    groups, skipped = kit_groups(chosen)
    for group in groups:
        outcomes += run_kit(csv, group, args.set)
    name = "real_footage.md" if args.part == "report" else f"real_footage_{args.part}.md"
    write_report(report(args.part, csv, sheet, outcomes, skipped, args.set, load_before), name)


if __name__ == "__main__":
    main()
