"""report.html as a browser shows it: headless Chromium opens the file with no server and no
network, takes a screenshot, and the page's own script reports its cards and images."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from conftest import HOSTILE, make_config

from influencer_kit import pipeline
from influencer_kit.inputs.demo import build_demo

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,2000"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
    """The browser, or skip saying how to get it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)")
    return found


def open_in_browser(page: Path, work: Path, *flags: str) -> subprocess.CompletedProcess:
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}", *flags, page.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=work,
    )


def page_checks(page: Path, work: Path) -> dict[str, str]:
    """The data-* attributes the report's script sets on <body> once the page has loaded."""
    done = open_in_browser(page, work, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body, done.stdout[:2000]
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))


def run_pipeline(base: Path, cache: Path, overrides: list[str] = ()) -> pipeline.Result:
    cfg = make_config(base, [f"cache.dir={cache}", "tracking.enabled=false", *overrides])
    return pipeline.run(cfg)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> pipeline.Result:
    """The built-in demo, run once for the module (the face cache is shared with test_xlsx)."""
    return run_pipeline(tmp_path_factory.mktemp("demo"), tmp_path_factory.getbasetemp() / "ik-cache")


def test_report_shows_every_card_and_face(demo, tmp_path):
    page = demo.output_dir / "report.html"
    shot = tmp_path / "report.png"
    done = open_in_browser(page, tmp_path, f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == PNG_SIGNATURE and shot.stat().st_size > 10_000
    checks = page_checks(page, tmp_path)
    people = list(demo.metrics["influencer"])
    assert len(people) == 2
    assert int(checks["cards"]) == len(people)
    # a ranking thumbnail, a portrait and a crop per video for each person, and the plot
    strip = sum(len({a.video for a in demo.appearances if a.person == p}) for p in people)
    assert int(checks["images"]) == 2 * len(people) + strip + 1
    assert checks["broken-images"] == "0"
    text = page.read_text()
    for person in people:
        assert f'data-influencer="{person}"' in text
    for row in demo.videos.loc[demo.videos["status"] != "ok"].itertuples():
        assert f'<td class="num">{row.row}</td><td class="status">{row.status}</td>' in text
    assert not re.search(r'\ssrc="(?!data:)', text)  # every image is inside the file: it opens offline


def test_input_text_is_shown_as_text(tmp_path_factory, tmp_path):
    """A video cell holding markup shows up as text in the failed rows, never as an element."""
    cache = tmp_path_factory.getbasetemp() / "ik-cache"
    demo_csv = build_demo(cache / "demo")
    sheet = pd.read_csv(demo_csv).head(2)
    sheet["Video URL"] = [str(demo_csv.parent / sheet["Video URL"][0]), f"{HOSTILE}.mp4"]
    sheet.to_csv(tmp_path / "input.csv", index=False)
    result = run_pipeline(tmp_path, cache, [f"data.path={tmp_path / 'input.csv'}"])
    page = result.output_dir / "report.html"
    checks = page_checks(page, tmp_path / "browser")
    assert checks["cards"] == "1" and checks["broken-images"] == "0"  # an injected <img src=x> would be broken
    text = page.read_text()
    assert HOSTILE not in text and "&lt;img src=x onerror=&quot;document.title=1&quot;&gt;" in text
