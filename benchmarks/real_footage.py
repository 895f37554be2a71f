"""Right on real footage: the seed-style approach, influencer-kit's defaults, each clusterer and each
embedder that runs here, on one part of the real-footage set (benchmarks/real_set.py), scored
against the clips' labels.

    python benchmarks/real_footage.py [--part tune|report|all|ads_tune|ads_report] [--approach NAME ...]
        [--set key=value ...] [--cuts FROM:TO:STEP] [--at-commit]

Each approach runs in a child process from an empty cache; the influencer-kit approaches that share
an embedder run as jobs of one child, sharing its face cache as a sweep's jobs do. A failing approach
is recorded as `failed: <why>` and the others still run. Writes benchmarks/results/real_footage.md
(`--part report`) or real_footage_<part>.md (`--at-commit`: real_footage_<part>_at_<commit>.md), and
prints it. The `ads_*` parts are the ad-like videos of benchmarks/ad_set.py.

Scores, over rows with a `Person` (a row with no influencer counts as a person of its own):
BCubed F/precision/recall and ARI of `influencer` against `Person`; people found (a true person
whose rows mostly get one id that is no other person's majority id); merges (an id holding 2+
people) and splits (a person spread over 2+ ids). Co-appearances: of the people a row's `People`
lists (rows with 2+, `extras_*` groups left out), how many its `influencers` holds. False faces:
rows with nobody in `People` that get an influencer, the ids seen only on such rows, and the people
in `influencers` beyond a row's true count (clips with `extras_*` groups left out). On the ad parts
also main person right and others found (benchmarks/row_scores.py). Per person, for each approach:
rows, merged with, split into, close calls (rows the run flagged `close_call`). `--cuts` runs each
influencer-kit approach again at each cut from its face cache and reports the cuts with the best
BCubed F that find every person.
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
from ad_set import AD_PARTS, build_ad_set
from compare import run_child, scores
from measure import commit, load, machine, write_report
from real_set import PARTS, TUNE_CLIPS, build_real_set
from row_scores import best_cuts, main_right, named, others_by_person, others_found, stands_for

NONE = "(none)"  # how a row with no influencer shows in merge and split lists

# influencer-kit approaches: name -> Hydra overrides. The deepface embedders need their weights.
# `before` is the defaults this benchmark was built to fix: DBSCAN at dlib's pair distance 0.6 with
# min_samples=1 (single linkage), one video's faces grouped at 0.5.
CLUSTERERS = {"defaults": [], "before": ["cluster=dbscan", "cluster.eps=0.6", "people.within_video_distance=0.5"],
              "dbscan": ["cluster=dbscan"], "hdbscan": ["cluster=hdbscan"],
              "chinese_whispers": ["cluster=chinese_whispers"]}
# Embedders that ship with influencer-kit, each with and without mirror averaging (one face cache each).
EMBEDDERS = {f"{name}{suffix}": [f"embedder={name}", f"embedder.mirror={mirror}"]
             for name in ("dlib", "faceres", "fused")
             for suffix, mirror in (("", "false"), ("_mirror", "true"))}
DEEPFACE_MODELS = ["Facenet512", "ArcFace", "SFace"]
SEED = "seed"


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
    close_calls: list[bool] | None = None  # None: the approach flags no close calls
    cut: float | None = None  # a run of `--cuts`: the cut it ran at, and its setting
    setting: str = ""

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


def table_row(sheet: Sheet, outcome: Outcome, ads: bool) -> str:
    """The approach's line of the results table; on an ad part (`ads`) with main person right and
    others found after the BCubed figures."""
    if outcome.error:
        return f"| {outcome.name} | failed: {outcome.error} |" + " |" * (12 if ads else 10)
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
    ad_cells = ""
    if ads:
        right, rows = main_right(sheet.truth, outcome.influencer)
        ad_cells = f" {right}/{rows} ({right / max(rows, 1):.0%}) |"
        if outcome.influencers is None:
            ad_cells += " — |"
        else:
            found_others, others = others_found(sheet.truth, sheet.people, outcome.influencer, outcome.influencers)
            ad_cells += f" {found_others}/{others} ({found_others / max(others, 1):.0%}) |"
    return (f"| {outcome.name} | {s['bcubed_f']:.3f} | {s['bcubed_precision']:.3f} | {s['bcubed_recall']:.3f} "
            f"| {s['ari']:.3f} |{ad_cells} {found}/{total} | {len(merges(sheet.truth, outcome.influencer))} "
            f"| {len(splits(sheet.truth, outcome.influencer))} | {co} | {len(flagged)} | {extra} | {failed} | {wall} |")


def details(sheet: Sheet, outcome: Outcome, ads: bool) -> str:
    """The merges, splits and false faces of one approach, by label; on an ad part (`ads`) also the
    rows whose main person is wrong (true label -> influencer = the label it stands for)."""
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
    if ads:
        meaning = stands_for(sheet.truth, outcome.influencer)
        text += "\n- main person wrong: " + (", ".join(
            f"{video} ({truth} -> {found or '-'} = {meaning.get(found, '-')})"
            for video, truth, found in zip(sheet.videos, sheet.truth, outcome.influencer)
            if truth and meaning.get(found) != truth) or "none")
    return text + (f"\n- note: {outcome.note}" if outcome.note else "") + "\n"


def per_person(sheet: Sheet, outcome: Outcome) -> str:
    """One line per labelled main person: their rows, the people merged with them (other labels
    sharing one of their predicted people), how many predicted people their rows go to (no
    influencer counting as one), their rows flagged as close calls, and of the rows showing them
    beside another main person, those whose `influencers` hold them."""
    if outcome.error:
        return ""
    merged = merges(sheet.truth, outcome.influencer)
    others = others_by_person(sheet.truth, sheet.people, outcome.influencer, outcome.everyone())
    lines = []
    for person in sorted(set(sheet.truth) - {""}):
        rows = [i for i, label in enumerate(sheet.truth) if label == person]
        ids = {outcome.influencer[i] or NONE for i in rows}
        merged_with = sorted({other for found in ids for other in merged.get(found, []) if other != person})
        calls = "—" if outcome.close_calls is None else str(sum(outcome.close_calls[i] for i in rows))
        shown = "{}/{}".format(*others[person]) if person in others and outcome.influencers is not None else "—"
        lines.append(f"| {person} | {len(rows)} | {', '.join(merged_with) or '—'} | {len(ids)} | {calls} | {shown} |")
    return (f"**{outcome.name}**\n\n| person | rows | merged with | split into | close calls "
            f"| found beside another main |\n" + "|---" * 6 + "|\n" + "\n".join(lines) + "\n")


def cut_section(sheet: Sheet, outcomes: list[Outcome]) -> str:
    """Per influencer-kit approach run at several cuts: the cuts with the best BCubed F that find
    every person, the middle of the widest such run, and every cut's F and people found."""
    by_approach: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.cut is not None and not outcome.error:
            by_approach.setdefault(outcome.name, []).append(outcome)
    if not by_approach:
        return ""
    summary, grid = [], {}
    for name, runs in by_approach.items():
        runs.sort(key=lambda o: o.cut)
        tried = []
        for run in runs:
            found, total = people_found(sheet.truth, run.influencer)
            f = scores(sheet.truth, run.influencer)["bcubed_f"]
            tried.append((run.cut, f, found == total))
            grid.setdefault(run.cut, {})[name] = f"{f:.3f} ({found}/{total})"
        runs_of_best, complete = best_cuts(tried)
        best_f = next(f for cut, f, _ in tried if cut == runs_of_best[0][0])
        widest = max(runs_of_best, key=lambda run: (run[-1] - run[0], -run[0]))
        ranges = ", ".join(f"{r[0]:g}–{r[-1]:g}" if len(r) > 1 else f"{r[0]:g}" for r in runs_of_best)
        if runs_of_best[0][0] == runs[0].cut or runs_of_best[-1][-1] == runs[-1].cut:
            ranges += " (at the edge of the cuts tried)"
        summary.append(f"| {name} | `{runs[0].setting}` | {runs[0].cut:g}–{runs[-1].cut:g} | {best_f:.3f} "
                       f"| {'yes' if complete else 'no cut does'} | {ranges} | {(widest[0] + widest[-1]) / 2:g} |")
    names = list(by_approach)
    return ("\n## Cut ranges\n\nEach influencer-kit approach again at each cut, from its face cache (its "
            "clusterer's same-person setting; the rest as above). Best cuts: those with the best BCubed F "
            "among the cuts that find every person (people found = every main person), as runs of "
            "neighbouring cuts tried; the middle is that of the widest run.\n\n"
            "| approach | setting | cuts tried | best BCubed F | every person found | best cuts | middle |\n"
            + "|---" * 7 + "|\n" + "\n".join(summary) + "\n\nBCubed F (people found) at each cut:\n\n"
            + "| cut | " + " | ".join(names) + " |\n" + "|---" * (len(names) + 1) + "|\n"
            + "\n".join(f"| {cut:g} | " + " | ".join(grid[cut].get(n, "—") for n in names) + " |"
                        for cut in sorted(grid)) + "\n")


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


def run_kit(csv: Path, jobs: dict[str, list[str]], extra: list[str], cuts: list[float]) -> list[Outcome]:
    """influencer-kit jobs (name -> overrides, each with `extra` too) in one child, sharing one face
    cache: each job's outcome, named by its overrides, and after each its runs at `cuts`."""
    options = [arg for name, overrides in jobs.items() for arg in ("--job", name, *overrides, *extra)]
    options += ["--cuts", *map(str, cuts)] if cuts else []
    titles = {name: " ".join(o for o in [*overrides, *extra] if not o.startswith("embedder.weights_dir"))
              or "influencer-kit defaults"
              for name, overrides in jobs.items()}
    with tempfile.TemporaryDirectory(prefix="ik-real-work-") as work:
        try:
            _, results = run_child("kit_runner.py", [str(csv), work], options)
        except SystemExit as err:
            return [Outcome(titles[name], error=last_line(str(err))) for name in jobs]
    return [Outcome(titles[r.get("approach", r["name"])], error=r["error"], wall_s=r["wall_s"], cut=r.get("cut"))
            if "error" in r else
            Outcome(titles[r.get("approach", r["name"])], r["predictions"], [split_list(c) for c in r["influencers"]],
                    r["status"], r["wall_s"], close_calls=r["close_call"], cut=r.get("cut"), setting=r.get("setting", ""))
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
    groups = [dlib, *({name: overrides} for name, overrides in EMBEDDERS.items() if wanted(name))]
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
    """Rows, clips and people of each part of the set `csv` belongs to (its folder's videos.csv)."""
    rows = pd.read_csv(csv.parent / "videos.csv", dtype=str, keep_default_na=False)
    parts = [*rows.groupby("Part")] + ([("both", rows)] if rows["Part"].nunique() > 1 else [])
    lines = []
    for part, part_rows in parts:
        people = {p for cell in part_rows["People"] for p in named(split_list(cell))}
        clips = {c for cell in part_rows["Clip"] for c in split_list(cell)}
        mains = set(part_rows["Person"]) - {""}
        lines.append(f"| {part} | {len(part_rows)} | {len(clips)} | {len(mains)} | {len(people)} "
                     f"| {sum(part_rows['People'] == '')} | {sum(part_rows['People'].map(lambda c: len(named(split_list(c)))) > 1)} |")
    return ("| part | rows | clips | main people | people seen | rows with nobody | rows with 2+ people |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(lines))


REAL_SET = ("The set (`benchmarks/real_set.py`, built from `../shared/real`): each clip cut into 1-3 posts of "
            "3-6 s, each varied one way (none, 9:16 crop, 360p, mirrored, title card, subtitles), plus per "
            "part a re-post (same bytes) and a re-encoded re-post.")
AD_SET = ("The ad-like set (`benchmarks/ad_set.py`, built from `../shared/real`; `ads_tune` from `tune` clips "
          "only, `ads_report` from `report` clips only): compilations of 2-3 creators (one 3.2-4.4 s, the "
          "others 1.2-2 s), some with a product shot between; a creator with a small reaction face in a "
          "corner (picture in picture, the whole ad or part of it); two creators side by side or stacked "
          "for the same time, one box larger (62%) or both equal; product-only ads; a caption burnt into "
          "every ad. The main person is the one on screen longest, of two on screen equally long the one "
          "in the larger box, nobody when they tie on both; `People` lists everyone visible.")
AD_COLUMNS = ("Main person right: rows with a main person whose `influencer` stands for that person (a "
              "predicted person stands for the main label most of its rows carry; a tie goes to the "
              "label of its earliest row). Others found: of the people a row shows besides its main "
              "person (both, on a split screen with no main), those whose predicted person (one that "
              "stands for them) is in the row's `influencers`. ")


def report(part: str, csv: Path, sheet: Sheet, outcomes: list[Outcome], skipped: list[str], extra: list[str],
           load_before: str) -> str:
    ads = part in AD_PARTS
    head = ("| approach | BCubed F | precision | recall | ARI |" + (" main person right | others found |" if ads else "")
            + " people found | merges | splits | co-appearances | no-face rows with a face | extra people "
            "| rows failed | wall s |\n" + "|---" * (15 if ads else 13) + "|\n")
    main_runs = [o for o in outcomes if o.cut is None]
    return (
        f"# Right on real footage: part `{part}`\n\n"
        f"Machine: {machine()}. Load average (1/5/15 min) before: {load_before}, after: {load()}. "
        f"Commit {commit()}. Extra overrides for every influencer-kit approach: {' '.join(extra) or 'none'}.\n\n"
        f"{AD_SET if ads else REAL_SET}\n\n{set_size(csv)}\n\n"
        f"The parts: clips sharing a person stay in one part. `tune` (defaults are chosen on it) holds "
        f"{', '.join(sorted(c.removesuffix('.mp4') for c in TUNE_CLIPS))}; `report` holds every other clip.\n\n"
        f"Each approach runs in a child process from an empty cache. The influencer-kit approaches with one "
        f"embedder are jobs of one child sharing its face cache, so the first job's wall time includes "
        f"computing the faces and the others' does not. {AD_COLUMNS if ads else ''}People found: true main "
        f"people whose rows mostly get an influencer of their own. Co-appearances: people found in "
        f"`influencers` of rows with 2+ people / people there. No-face rows with a face: rows of clips with "
        f"nobody that get an influencer or any `influencers`. Extra people: people in `influencers` beyond "
        f"each row's true count (clips with background extras left out). Rows failed: status other than ok "
        f"or no_face.\n\n"
        + head + "\n".join(table_row(sheet, o, ads) for o in main_runs) + "\n\n"
        + "".join(f"- {line}\n" for line in skipped) + cut_section(sheet, outcomes)
        + "\n## Per person\n\nFor each approach, one line per main person: their rows; merged with: the "
        "other people whose rows share one of their predicted people; split into: how many predicted people "
        "their rows go to (no influencer counts as one); close calls: their rows the run flagged `close_call` "
        "(— for an approach that flags none); found beside another main: of the rows showing them beside "
        "another main person, those whose `influencers` hold them (by who stands for them).\n\n"
        + "\n".join(filter(None, (per_person(sheet, o) for o in main_runs)))
        + "\n## Merges, splits and false faces\n\n"
        + "\n".join(filter(None, (details(sheet, o, ads) for o in main_runs)))
    )


def cut_values(text: str) -> list[float]:
    """`FROM:TO:STEP` as the cuts from FROM to TO (included), STEP apart."""
    try:
        low, high, step = (float(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--cuts {text!r}: give FROM:TO:STEP, e.g. 0.40:0.70:0.02") from None
    if step <= 0 or high < low:
        raise argparse.ArgumentTypeError(f"--cuts {text!r}: STEP must be positive and TO at least FROM")
    return [round(low + k * step, 6) for k in range(int(round((high - low) / step)) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="report", choices=[*PARTS, "all", *AD_PARTS])
    parser.add_argument("--approach", action="append", metavar="NAME",
                        help=f"{SEED}, defaults, before, dbscan, hdbscan, chinese_whispers, deepface (all its models) or "
                             "deepface_MODEL (repeatable; default all)")
    parser.add_argument("--set", action="append", default=[], metavar="key=value",
                        help="an extra Hydra override for every influencer-kit approach (repeatable)")
    parser.add_argument("--cuts", type=cut_values, default=[], metavar="FROM:TO:STEP",
                        help="run each influencer-kit approach again at each cut (e.g. 0.40:0.70:0.02)")
    parser.add_argument("--at-commit", action="store_true",
                        help="name the results file after the commit: real_footage_<part>_at_<commit>.md")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    csv = (build_ad_set(seed=args.seed, part=args.part) if args.part in AD_PARTS
           else build_real_set(seed=args.seed, part=args.part))
    sheet = Sheet.read(csv)
    chosen = set(args.approach) if args.approach else None
    load_before = load()
    outcomes = run_seed(csv) if chosen is None or SEED in chosen else []
    groups, skipped = kit_groups(chosen)
    for group in groups:
        outcomes += run_kit(csv, group, args.set, args.cuts)
    name = "real_footage" + ("" if args.part == "report" and not args.at_commit else f"_{args.part}")
    name += f"_at_{commit().split()[0]}.md" if args.at_commit else ".md"
    write_report(report(args.part, csv, sheet, outcomes, skipped, args.set, load_before), name)


if __name__ == "__main__":
    main()
