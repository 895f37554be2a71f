"""A reviewer splits a wrong creative and joins two in the review app (the real server), applies, and
the run's creatives follow; the corrections stay in the registry for every later run."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import requests
from conftest import run_cli
from support.creatives import demo_with_variants

from influencer_kit.registry.store import Registry

pytestmark = pytest.mark.slow


def fields(page: str) -> dict[str, str]:
    """The hidden csrf and version of a page's first form."""
    return {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1) for name in ("csrf", "version")}


def creatives(run: Path) -> list[str]:
    return pd.read_csv(run / "ProcessedVideos_videos.csv", keep_default_na=False)["creative"].tolist()


def test_a_split_and_a_join_stick_across_runs(tmp_path: Path, review_server) -> None:
    sheet = demo_with_variants(tmp_path / "data")
    run = tmp_path / "run"
    args = [f"data.path={sheet}", f"hydra.run.dir={run}", f"cache.dir={tmp_path / 'cache'}",
            f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}", "output.progress=false", "executor.workers=1"]
    done = run_cli(args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert creatives(run) == ["creative_0001", "creative_0002", "creative_0003", "creative_0004", "creative_0005",
                              "creative_0006", "creative_0007", "creative_0008", "creative_0009", "",
                              "creative_0001", "creative_0004"]
    videos = pd.read_csv(run / "ProcessedVideos_videos.csv", keep_default_na=False)
    variant = videos.loc[10, "video_sha256"]  # row 11: grace_1 mirrored, wrongly (say) its creative
    app = review_server(["--run", str(run), "--registry", str(tmp_path / "registry.db")], tmp_path)

    page = requests.get(app + "/creatives").text
    assert 'id="creative_0001"' in page and "2 row(s), 2 video(s)" in page
    split = requests.post(app + "/creatives/split", data={"creative": "creative_0001", "video": variant,
                                                          "back": "/creatives", **fields(page)}, allow_redirects=False)
    assert split.status_code == 303, split.text
    assert "split+1+video" in split.headers["location"]
    page = requests.get(app + "/creatives").text
    join = requests.post(app + "/creatives/join", data={"creative": "creative_0002", "other": "creative_0003",
                                                        "back": "/creatives", **fields(page)}, allow_redirects=False)
    assert join.status_code == 303, join.text
    unknown = requests.post(app + "/creatives/join", data={"creative": "creative_0002", "other": "creative_0099",
                                                           **fields(requests.get(app + "/creatives").text)})
    assert unknown.status_code == 400 and "the run has no creative &#39;creative_0099&#39;" in unknown.text

    applied = requests.post(app + "/apply", data=fields(requests.get(app + "/creatives").text), timeout=900)
    assert applied.status_code == 200, applied.text
    after = ["creative_0001", "creative_0002", "creative_0002", "creative_0003", "creative_0004", "creative_0005",
             "creative_0006", "creative_0007", "creative_0008", "", "creative_0009", "creative_0003"]
    assert creatives(run) == after
    with Registry(tmp_path / "registry.db") as registry:
        assert [c.action for c in registry.corrections()] == ["split_creative", "join_creatives"]

    again = run_cli([*args[:1], f"output.dir={tmp_path / 'again'}", *args[2:]], cwd=tmp_path)  # a later plain run
    assert again.returncode == 0, again.stderr[-3000:]
    assert creatives(tmp_path / "again") == after
