"""What `make demo` costs from a clean clone: its wall time (creating .venv, installing, running the
demo) and the size of the .venv it leaves, for each commit given, taking turns.

    python benchmarks/install_cost.py --ref f4f6bff --ref HEAD

Each ref is cloned from this checkout into a temporary folder with `../shared` linked beside it as
`shared`, as a new user's checkout would be; `make demo` runs there with the Python on PATH. pip
reads its wheels as it does on this machine (its own index settings and cache), so downloads count
in the time; run `--warm` first to fill what a cache can hold. Writes
`benchmarks/results/install.md` and prints it.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from measure import load, machine, write_report

ROOT = Path(__file__).resolve().parents[1]
EXTRA_ONLY = ("tensorflow", "tf-keras", "deepface", "retina-face", "scikit-image")


def folder_mib(path: Path) -> float:
    """Disk use of `path` in MiB, as `du` counts it."""
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout.split()[0]) / 1024


def make_demo(ref: str, work: Path) -> dict[str, object]:
    """Clone `ref` into `work`, run `make demo` there; its time, .venv size and installed packages."""
    (work / "shared").symlink_to(ROOT.parent / "shared")
    checkout = work / "influencer-kit"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
    subprocess.run(["git", "checkout", "--quiet", ref], cwd=checkout, check=True)
    start = time.perf_counter()
    done = subprocess.run(["make", "demo"], cwd=checkout, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"make demo failed at {ref}: {done.stderr[-2000:]}")
    freeze = subprocess.run([str(checkout / ".venv/bin/python"), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout.lower().replace("_", "-")
    names = {line.split("==")[0] for line in freeze.splitlines()}
    return {"seconds": seconds, "mib": folder_mib(checkout / ".venv"), "packages": len(names),
            "extra": [n for n in EXTRA_ONLY if n in names], "demo": [line for line in done.stdout.splitlines() if line.startswith("rows:")]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", action="append", required=True, help="a commit or branch of this checkout")
    parser.add_argument("--warm", action="store_true", help="one unrecorded install of each ref first")
    args = parser.parse_args()
    refs = [subprocess.run(["git", "rev-parse", "--short", r], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.strip() for r in args.ref]
    rows = []
    for recorded in ([False] if args.warm else []) + [True]:
        for ref in refs:
            with tempfile.TemporaryDirectory(prefix="ik-install-") as work:
                found = make_demo(ref, Path(work))
            if recorded:
                rows.append((ref, found, load()))
    table = ["| commit | `make demo` from a clean clone, s | .venv MiB | packages | of TensorFlow's extra and scikit-image | demo |",
             "| --- | --- | --- | --- | --- | --- |"]
    table += [f"| {ref} | {f['seconds']:.0f} | {f['mib']:.0f} | {f['packages']} | {', '.join(f['extra']) or 'none'} | "
              f"{' '.join(f['demo'])} |" for ref, f, _ in rows]
    report = "\n".join([
        "# `make demo` from a clean clone", "",
        f"`python benchmarks/install_cost.py {' '.join('--ref ' + r for r in args.ref)}"
        f"{' --warm' if args.warm else ''}` on {machine()}; load average after each: "
        + "; ".join(f"{ref}: {ld}" for ref, _, ld in rows) + ".", "", *table, ""])
    write_report(report, "install.md")


if __name__ == "__main__":
    main()
