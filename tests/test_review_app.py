"""The review app driven in real headless Chromium (Selenium, Debian's chromium and chromium-driver)
against the real server over a real run's registry: merge two people, split a video off, rename,
answer a "same person?" pair with no, apply; then the registry, its history and the run's new
tables, report and MLflow run.

The run (conftest `review_run`) cuts at cluster.eps=0.45, so alex_lacamoire is two people,
influencer_001 and influencer_007: the one "same person?" pair."""
from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from conftest import ROOT
from support.browser import WAIT_S, chromium
from influencer_kit.registry.store import Registry

pytestmark = pytest.mark.slow

APPLY_WAIT_S = 600
NAME = "Lin-Manuel <b>Miranda</b>"  # markup in a name is shown as text


def tables(run: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(run / f"{t}.csv", keep_default_na=False)
            for t in ("ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers")}


def registry_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influencer_kit.registry", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def reviewed(review_run, review_server_module, tmp_path_factory):
    """The whole review in the browser; returns the work folder, the tables before, what the
    pages said after each step, and the grid's text after Apply."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    work = review_run
    before = tables(work / "run")
    url = review_server_module(["--run", str(work / "run")], work)
    browser = chromium(tmp_path_factory.mktemp("chromium"))
    said: list[str] = []

    def flash(contains: str, wait: float = WAIT_S) -> None:
        WebDriverWait(browser, wait).until(seen.text_to_be_present_in_element((By.ID, "said"), contains))
        said.append(browser.find_element(By.ID, "said").text)

    def click(css: str) -> None:
        browser.find_element(By.CSS_SELECTOR, css).click()

    try:
        browser.get(url + "/")
        assert len(browser.find_elements(By.CSS_SELECTOR, ".card.person")) == 7
        shots = os.environ.get("IK_REVIEW_SCREENSHOTS")  # a folder: save the README's screenshots there
        if shots:
            browser.save_screenshot(str(Path(shots) / "review_people.png"))
        # merge kit_harington (003) and rose_leslie (006): tick both cards, then Merge selected
        click("#card-influencer_003 input[name=person]")
        click("#card-influencer_006 input[name=person]")
        click("#merge")
        flash("merge influencer_006 into influencer_003")
        # split obama's video v016 (obama with rose) off to a new person
        browser.get(url + "/person/influencer_005")
        v016 = before["ProcessedVideos_videos"].query("`Video URL` == 'videos/v016_obama.mp4'")["video_sha256"].iloc[0]
        click(f"#video-{v016[:10]} input.pick-video")
        browser.find_element(By.CSS_SELECTOR, "#split-form input[name=name]").send_keys("Split Off")
        click("#split")
        flash("split 1 face(s) of influencer_005 into new influencer_008")
        # rename lin_manuel_miranda (004)
        browser.get(url + "/person/influencer_004")
        box = browser.find_element(By.ID, "rename-input")
        box.clear()
        box.send_keys(NAME)
        click("#rename")
        flash('rename influencer_004 to "Lin-Manuel <b>Miranda</b>"')
        shown_name = browser.find_element(By.ID, "person-name").text
        # "same person?": the two halves of alex; answer no
        browser.get(url + "/pairs")
        pairs_before = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, ".pair")]
        if shots:
            browser.save_screenshot(str(Path(shots) / "review_pair.png"))
        click("#pair-influencer_001-influencer_007 button.no")
        flash("influencer_001 and influencer_007 are different people")
        pairs_after = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, ".pair")]
        # apply: the run again with the corrections
        click("#apply")
        flash("Applied in", APPLY_WAIT_S)
        grid = browser.find_element(By.TAG_NAME, "main").text
        order = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, ".card.person")]
    finally:
        browser.quit()
    return work, before, said, shown_name, pairs_before, pairs_after, grid, order


def test_each_correction_made_in_the_browser_is_in_the_registry_and_its_history(reviewed):
    work, before, said, shown_name, pairs_before, pairs_after, *_ = reviewed
    assert shown_name == NAME  # the markup shown as text, not rendered
    # closest first: obama's video split off just before (the same photo: very close), then alex's halves
    assert pairs_before == ["pair-influencer_005-influencer_008", "pair-influencer_001-influencer_007"]
    assert pairs_after == ["pair-influencer_005-influencer_008"]
    with Registry(work / "registry.db") as registry:
        assert registry.person("influencer_006").id == "influencer_003"
        assert registry.person("influencer_004").name == NAME
        split_off = registry.person("influencer_008")
        assert split_off.name == "Split Off"
        v016 = before["ProcessedVideos_videos"].query("`Video URL` == 'videos/v016_obama.mp4'")["video_sha256"].iloc[0]
        assert {f.video for f in registry.faces("influencer_008")} == {v016}
        assert set(registry.different()) == {frozenset(("influencer_001", "influencer_007"))}
    history = registry_cli(work, "history").stdout.splitlines()
    assert [line.split("  ")[1] for line in history] == [
        "merge influencer_006 into influencer_003",
        "split 1 face(s) of influencer_005 into new influencer_008",
        'rename influencer_004 to "Lin-Manuel <b>Miranda</b>" (was "")',
        "influencer_001 and influencer_007 are different people",
    ]
    assert all(line.endswith("(runs since: 1)") for line in history)  # Apply's run worked with all four


def test_apply_rewrites_the_runs_tables_with_the_corrections(reviewed):
    work, before, said, *_, grid, order = reviewed
    after = tables(work / "run")
    videos = after["ProcessedVideos_videos"].set_index("Video URL")
    old = before["ProcessedVideos_videos"].set_index("Video URL")
    assert list(videos.index) == list(old.index)  # every row, in order
    by_person = {p: set(videos.loc[videos["Person"] == p, "influencer"]) for p in set(videos["Person"]) if p}
    assert by_person["kit_harington"] == by_person["rose_leslie"] == {"influencer_003"}  # merged
    assert videos.loc["videos/v016_obama.mp4", "influencer"] == "influencer_008"  # split off
    assert videos.loc["videos/v016_obama.mp4", "name"] == "Split Off"
    assert by_person["obama"] == {"influencer_005", "influencer_008"}
    assert set(videos.loc[videos["Person"] == "lin_manuel_miranda", "name"]) == {NAME}
    assert by_person["alex_lacamoire"] == {"influencer_001", "influencer_007"}  # said different: still two
    assert set(after["PerformanceMetrics_videos"]["influencer"]) == {
        "influencer_001", "influencer_002", "influencer_003", "influencer_004", "influencer_005",
        "influencer_007", "influencer_008"}
    assert "influencer_006" not in set(after["Ranked_Influencers"]["influencer"])
    report = (work / "run" / "report.html").read_text()
    assert "Lin-Manuel &lt;b&gt;Miranda&lt;/b&gt;" in report and NAME not in report  # the new report, escaped
    # the grid after Apply shows the new ranking: its cards in rank order
    ranked = list(after["Ranked_Influencers"]["influencer"])
    assert [o.removeprefix("card-") for o in order][:len(ranked)] == ranked
    assert said[-1].startswith("Applied in") and "rows: 18" in said[-1]
    client = mlflow.MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id],
                              order_by=["attributes.start_time DESC"])
    assert len(runs) == 2  # the first run, then Apply's
    assert runs[0].data.metrics["registry_corrections_new"] == 4
    assert runs[0].data.metrics["registry_people_new"] == 0


def test_the_face_cache_is_reused_so_apply_detects_nothing(reviewed):
    work = reviewed[0]
    computed = [json.loads(line)["sha256"] for p in (work / "cache" / "faces").glob("*/computed.jsonl")
                for line in p.read_text().splitlines()]
    videos = set(pd.read_csv(work / "run" / "ProcessedVideos_videos.csv", keep_default_na=False)["video_sha256"])
    assert len(videos) == 18
    assert Counter(sha for sha in computed if sha in videos) == Counter(videos)  # once each: by the first run only


def save_screenshots_for_the_readme() -> None:
    """`python tests/test_review_app.py`: runs the browser scenario with screenshots into docs/."""
    os.environ["IK_REVIEW_SCREENSHOTS"] = str(ROOT / "docs")
    sys.exit(pytest.main([__file__, "-k", "registry_and_its_history", "-q"]))


if __name__ == "__main__":
    save_screenshots_for_the_readme()
