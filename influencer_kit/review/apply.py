"""Apply: run the shown run's configuration again, with the registry as corrected, into the same
folder. The run is `python -m influencer_kit` with the run's own overrides, from the folder it was
started in, so it reads the same spreadsheet, reuses the same download and face caches (no face
is detected or embedded again), and writes new tables, a new report and a new MLflow run."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from influencer_kit.errors import ApplyError
from influencer_kit.registry.database import Location
from influencer_kit.outputs.run_config import COMMAND, CONFIG
from influencer_kit.review.run_folder import RunFolder

REPLACED = ("hydra.run.dir=", "registry.uri=", "registry.enabled=", "output.progress=")  # overrides Apply sets itself
TIMEOUT_S = 6 * 3600
_one_at_a_time = threading.Lock()


@dataclass(frozen=True)
class Applied:
    seconds: float
    summary: list[str]  # the run's own summary lines (rows, influencers, outputs, report, MLflow run)


def command(run: RunFolder, registry: Location) -> list[str]:
    """The command line that runs `run` again on `registry`, into the same folder."""
    kept = [o for o in run.overrides if not o.lstrip("+~").startswith(REPLACED)]
    return [sys.executable, "-m", "influencer_kit", *kept, f"hydra.run.dir={run.path}",
            f"registry.uri={registry}", "registry.enabled=true", "output.progress=false"]


def apply(run: RunFolder, registry: Location) -> Applied:
    """Run again; one Apply at a time per app."""
    if run.config is None or not run.command_known:
        raise ApplyError(f"{run.path} has no {CONFIG} and {COMMAND} (nor Hydra's .hydra/), so how it was run is "
                         f"unknown: run it again once with `python -m influencer_kit`, then Apply")
    if not _one_at_a_time.acquire(blocking=False):
        raise ApplyError("an Apply is running already: wait for it to finish", 409)
    try:
        start = time.perf_counter()
        done = subprocess.run(command(run, registry), cwd=run.started_in, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
        seconds = time.perf_counter() - start
    finally:
        _one_at_a_time.release()
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ApplyError(f"the run failed (exit status {done.returncode}): {last}")
    lines = done.stdout.strip().splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("rows:")), len(lines))
    return Applied(seconds, lines[first:])
