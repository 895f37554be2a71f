"""The worked detector example (tests/example_detector: dlib's HOG detector as `detector=dlib_hog`),
installed with pip and used through the CLI on real footage (../shared/real); the plugin's
distribution and version are part of the face-cache key, so an upgrade never serves stale faces."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SHARED, pip_install, run_cli

EXAMPLE = ROOT / "tests" / "example_detector"
CLIPS = SHARED / "real" / "clips"
VIDEOS = ["obama_address.mp4", "macron_address.mp4", "noface_cat.mp4"]  # two people, then a cat


def release(version: str, tmp: Path) -> Path:
    """The example plugin installed with pip as release `version`; returns the folder for PYTHONPATH."""
    project = shutil.copytree(EXAMPLE, tmp / f"project-{version}")
    toml = project / "pyproject.toml"
    toml.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', toml.read_text()))
    return pip_install(project, tmp / f"site-{version}")


@pytest.fixture(scope="module")
def videos_csv(tmp_path_factory) -> Path:
    if not all((CLIPS / name).is_file() for name in VIDEOS):
        pytest.skip(f"needs the real clips {', '.join(VIDEOS)} in {CLIPS} (absent in this checkout)")
    csv = tmp_path_factory.mktemp("data") / "videos.csv"
    pd.DataFrame({"video_url": [str(CLIPS / name) for name in VIDEOS], "performance": [3.0, 2.0, 1.0]}).to_csv(
        csv, index=False)
    return csv


def run_with(site: Path, videos_csv: Path, work: Path, cache: Path) -> subprocess.CompletedProcess:
    return run_cli(["detector=dlib_hog", f"data.path={videos_csv}", f"output.dir={work / 'out'}",
                    f"cache.dir={cache}", "tracking=none", "output.progress=false"],
                   cwd=work, env={"PYTHONPATH": str(site)})


def computed(cache: Path) -> dict[str, tuple[str, int]]:
    """Per face-cache key folder: the detector release in its settings and how many videos it analysed."""
    found = {}
    for folder in sorted((cache / "faces").iterdir()):
        settings = json.loads((folder / "settings.json").read_text())
        lines = (folder / "computed.jsonl").read_text().splitlines() if (folder / "computed.jsonl").exists() else []
        found[folder.name] = (settings["plugins"]["detector"], len(lines))
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory, videos_csv):
    """Release 0.1.0 run twice, then 0.2.0, on one cache: (runs, caches after each)."""
    tmp = tmp_path_factory.mktemp("hog")
    cache = tmp / "cache"
    old, new = release("0.1.0", tmp), release("0.2.0", tmp)
    done, states = [], []
    for n, site in enumerate([old, old, new]):
        (tmp / f"run{n}").mkdir()
        done.append(run_with(site, videos_csv, tmp / f"run{n}", cache))
        assert done[-1].returncode == 0, done[-1].stderr[-3000:]
        states.append(computed(cache))
    return tmp, done, states


def test_the_example_detector_finds_the_faces_in_real_footage(runs):
    tmp, _, _ = runs
    videos = pd.read_csv(tmp / "run0" / "out" / "ProcessedVideos_videos.csv")
    assert videos["status"].tolist() == ["ok", "ok", "no_face"]
    assert (videos["faces_detected"].iloc[:2] >= 4).all() and videos["faces_detected"].iloc[2] == 0
    assert videos["influencer"].iloc[0] != videos["influencer"].iloc[1]


def test_an_upgraded_plugin_never_serves_the_older_versions_faces(runs):
    _, _, (first, rerun, upgraded) = runs
    assert list(first.values()) == [("influencer-kit-dlib-hog 0.1.0", 3)]
    assert rerun == first  # the same release: every video's faces came from the cache
    assert sorted(upgraded.values()) == [("influencer-kit-dlib-hog 0.1.0", 3), ("influencer-kit-dlib-hog 0.2.0", 3)]


def test_the_installed_example_is_listed_and_conforms(runs):
    tmp, _, _ = runs
    env = {"PYTHONPATH": str(tmp / "site-0.1.0"), "PATH": ""}
    listing = subprocess.run([sys.executable, "-m", "influencer_kit.plugin"], capture_output=True, text=True,
                             env=env, check=True).stdout
    assert re.search(r"dlib_hog +weights present .*\[influencer-kit-dlib-hog 0\.1\.0\]", listing)
    assert "min_face_size=40, min_confidence=0.5" in listing
    code = ("from influencer_kit.plugin import check_component, manager\n"
            "from influencer_kit_samples.photos import grace_hopper\n"
            "check_component(manager.get_component('detector', 'dlib_hog'), grace_hopper())\n"
            "print('conforms')\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "conforms", done.stderr[-2000:]


def test_the_detector_sees_its_own_options(runs):
    """The factory gets the whole config: dlib's threshold follows min_confidence and its
    enlargement follows min_face_size."""
    tmp, _, _ = runs
    code = ("from influencer_kit.plugin import manager\n"
            "d = manager.build('detector', {'name': 'dlib_hog', 'min_confidence': 0.8, 'min_face_size': 20}).fit()\n"
            "print(d.config.min_confidence, d.config.min_face_size, d.upsample_, round(d.threshold_, 4))\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp / "site-0.1.0"), "PATH": ""})
    assert done.stdout.split() == ["0.8", "20", "2", "1.3863"], done.stderr[-2000:]
