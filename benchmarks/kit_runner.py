"""influencer-kit as the benchmark runs it: `pipeline.run` with the app's real config (defaults,
MLflow tracking off, a new registry of known people in the work folder), one job or a sweep of
jobs in one process sharing one face cache, the way Hydra's basic launcher runs a `-m` sweep.

`python benchmarks/kit_runner.py VIDEOS.csv WORK_DIR OUT.json [--eps 0.3 0.4 ...]` writes, per job,
each row's influencer, influencers and status, stage times and counts.
`--job NAME [key=value ...]` (repeatable) runs jobs with any Hydra overrides instead, one after
another sharing the face cache; a job that fails is recorded (`error`: one line) and the next runs.
`--cuts 0.4 0.45 ...` runs each job again at each cut (`cut` and `setting` in its result): its
clusterer's setting declared with `same_person_option` (`cluster.eps` for agglomerative and DBSCAN),
from the same face cache, so only the people are found again.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

# influencer-kit is imported inside the functions, not here: a worker process of the local executor
# runs this script's top-level imports again (multiprocessing does so for a script run by path;
# `python -m influencer_kit`, a module, is left alone), and each would pay for them.


def job(csv: Path, work: Path, name: str, overrides: list[str]) -> dict:
    """Run one job; what it found and how long each stage took, or why it failed."""
    start = time.perf_counter()
    try:
        return completed_job(csv, work, name, overrides)
    except Exception as err:  # any component's failure: the benchmark records it and goes on
        first_line = (str(err).strip().splitlines() or [""])[0]
        return {"name": name, "overrides": overrides, "wall_s": time.perf_counter() - start,
                "error": f"{type(err).__name__}: {first_line}"[:300]}


def composed(csv: Path, work: Path, name: str, overrides: list[str]):
    """The job's config: the app's, with its work folder, shared face cache and overrides."""
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module="influencer_kit.conf", version_base="1.3"):
        return compose(config_name="config", overrides=[
            f"data.path={csv}", f"output.dir={work / name}", f"cache.dir={work / 'cache'}",
            f"registry.uri={work / 'registry.db'}", "tracking=none", "output.progress=false", *overrides,
        ])


def cut_setting(csv: Path, work: Path, overrides: list[str]) -> str:
    """The job's cut: its clusterer's setting declared with `same_person_option` (`cluster.eps`)."""
    from dataclasses import fields

    from influencer_kit.plugin import manager
    from influencer_kit.plugin.components import is_same_person_option

    name = composed(csv, work, "cut", overrides).cluster.name
    return "cluster." + next(f.name for f in fields(manager.get_component("cluster", name).config)
                             if is_same_person_option(f))


def cut_jobs(csv: Path, work: Path, name: str, overrides: list[str], cuts: list[float]) -> list[dict]:
    """The job again at each cut, from the face cache; no frames or faces written."""
    setting = cut_setting(csv, work, overrides)
    kept = [o for o in overrides if not o.startswith(f"{setting}=")]
    return [{**job(csv, work, f"{name}@{cut:g}", [*kept, f"{setting}={cut}", "output.frames=none",
                                                  "output.faces=none"]),
             "approach": name, "setting": setting, "cut": cut}
            for cut in cuts]


def completed_job(csv: Path, work: Path, name: str, overrides: list[str]) -> dict:
    import numpy as np

    from influencer_kit import pipeline

    start = time.perf_counter()
    result = pipeline.run(composed(csv, work, name, overrides))
    return {
        "name": name,
        "overrides": overrides,
        "wall_s": time.perf_counter() - start,
        "times": result.timings,
        "frames": int(sum(len(v.frame_indices) for v in result.faces.values())),
        "faces_detected": int(sum(len(v.faces) for v in result.faces.values())),
        "faces_embedded": int(sum(len(np.unique(v.embeddings, axis=0)) for v in result.faces.values()
                                  if len(v.embeddings))),
        "predictions": texts(result.videos["influencer"]),
        "influencers": texts(result.videos["influencers"]),
        "status": texts(result.videos["status"]),
        "close_call": [bool(v) for v in result.videos["close_call"]],
    }


def texts(column) -> list[str]:
    """A table column as strings, empty where a cell is empty."""
    return [str(v) if isinstance(v, str) else "" for v in column]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--eps", type=float, nargs="*", default=[], help="a cluster.eps sweep")
    parser.add_argument("--cuts", type=float, nargs="*", default=[], help="each job again at these cuts")
    parser.add_argument("--job", nargs="+", action="append", default=[], metavar="NAME [key=value]",
                        help="a job: its name, then Hydra overrides (repeatable)")
    args = parser.parse_args()
    from influencer_kit import config

    config.register_configs()
    # Jobs of one run leave the registry alone, as a sweep's do (registry.in_sweeps): each starts
    # from the plain numbering instead of the people an earlier job found.
    if args.job:
        jobs = [(name, [*overrides, "registry.enabled=false"]) for name, *overrides in args.job]
    elif args.eps:
        jobs = [(f"eps_{e}", [f"cluster.eps={e}", "registry.enabled=false"]) for e in args.eps]
    else:
        jobs = [("default", [])]
    csv, work = args.csv.resolve(), args.work.resolve()
    results = []
    for name, overrides in jobs:
        results.append(job(csv, work, name, overrides))
        if args.cuts and "error" not in results[-1]:
            results += cut_jobs(csv, work, name, overrides, args.cuts)
    args.out.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
