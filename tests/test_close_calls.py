"""Close calls: each person's face spread and nearest other person, and the rows whose influencer
was nearly someone else; rules on hand-built appearances (every expected value worked out by hand),
then the demo as a user runs it."""
from __future__ import annotations

import math

import mlflow
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from influencer_kit.model import Appearance
from influencer_kit.people.close_calls import assess

SAME_PERSON = 0.55


def seen(video: str, person: str, x: float, y: float, detections: int = 4, area: int = 900,
         ignored: bool = False) -> Appearance:
    """One person in one video, their mean embedding at (x, y)."""
    return Appearance(video=video, face_ids=list(range(detections)), embedding=np.array([x, y]),
                      detections=detections, area=area, person=person, ignored=ignored)


def rows(*videos_and_influencers: tuple[str, str]) -> pd.DataFrame:
    """A ProcessedVideos table with what close calls read: each row's video and influencer."""
    return pd.DataFrame(videos_and_influencers, columns=["video_sha256", "influencer"])


def reasons(appearances: list[Appearance], *videos_and_influencers: tuple[str, str]) -> list[str]:
    flags = assess(rows(*videos_and_influencers), appearances, SAME_PERSON).rows
    assert list(flags["close_call"]) == [bool(r) for r in flags["close_call_reason"]]
    return list(flags["close_call_reason"])


def test_spread_and_nearest_person_by_average_linkage():
    # A at (0, 0) and (0.6, 0): mean (0.3, 0), each 0.3 from it. D at (0.3, 0.4): 0.5 from both of
    # A's (a 3-4-5 triangle). B at (3, 0): 3 and 2.4 from A's, mean 2.7; from D sqrt(2.7^2 + 0.4^2).
    appearances = [seen("v1", "A", 0, 0), seen("v2", "A", 0.6, 0), seen("v3", "D", 0.3, 0.4), seen("v4", "B", 3, 0)]
    people = assess(rows(), appearances, SAME_PERSON).people.set_index("influencer")
    assert people.loc["A", "face_spread"] == pytest.approx(0.3)
    assert people.loc["D", "face_spread"] == 0.0 and people.loc["B", "face_spread"] == 0.0
    assert (people.loc["A", "nearest_influencer"], people.loc["A", "nearest_distance"]) == ("D", pytest.approx(0.5))
    assert (people.loc["D", "nearest_influencer"], people.loc["D", "nearest_distance"]) == ("A", pytest.approx(0.5))
    assert (people.loc["B", "nearest_influencer"], people.loc["B", "nearest_distance"]) == ("A", pytest.approx(2.7))


def test_someone_alone_has_no_nearest_person():
    people = assess(rows(("v1", "A")), [seen("v1", "A", 0, 0)], SAME_PERSON).people
    assert people.loc[0, "nearest_influencer"] == "" and math.isnan(people.loc[0, "nearest_distance"])


@pytest.mark.parametrize("runner_up, expected", [
    ((4, 400), "nearly tied with B (4 faces each; the larger faces decided)"),
    ((3, 900), ""),  # 3 of 4 is 75%, under 80%
])
def test_two_people_nearly_tied_for_main_person(runner_up, expected):
    detections, area = runner_up
    video = [seen("v1", "A", 0, 0, 4, 3000), seen("v1", "B", 5, 0, detections, area)]
    assert reasons(video, ("v1", "A")) == [expected]


def test_runner_up_with_80_percent_of_the_faces_is_nearly_tied():
    video = [seen("v1", "A", 0, 0, detections=5), seen("v1", "B", 5, 0, detections=4)]
    assert reasons(video, ("v1", "A")) == ["nearly tied with B (4 faces against 5)"]


def test_a_person_marked_not_an_influencer_never_ties():
    video = [seen("v1", "A", 0, 0, area=1000), seen("v1", "X", 5, 0, area=500, ignored=True)]
    assert reasons(video, ("v1", "A")) == [""]


def test_face_near_another_person():
    # A's face in v1 is 0.5 and 0.58 from B's two faces: mean 0.54, under 0.55 x 1.1 = 0.605.
    # E in v4 is at least 9.4 from everyone: clear.
    appearances = [seen("v1", "A", 0, 0), seen("v2", "B", 0.5, 0), seen("v3", "B", 0.58, 0), seen("v4", "E", 10, 0)]
    assert reasons(appearances, ("v1", "A"), ("v4", "E"), ("v5", "")) == [
        "face 0.54 from B (same-person distance 0.55)", "", ""]


def test_face_barely_nearer_its_own_person_than_the_next():
    # A's face in v1 is 0.8 from A's other face; B is 0.85 away: past 0.605, but within 0.8 x 1.1.
    appearances = [seen("v1", "A", 0, 0), seen("v2", "A", 0.8, 0), seen("v3", "B", 0, -0.85)]
    assert reasons(appearances, ("v1", "A")) == ["face 0.80 from A's other faces, only 0.85 from B"]
    appearances[2] = seen("v3", "B", 0, -0.9)  # 0.9 is more than 0.88: clearly A's
    assert reasons(appearances, ("v1", "A")) == [""]


def test_both_reasons_together():
    video = [seen("v1", "A", 0, 0, area=1000), seen("v1", "B", 0.5, 0, area=500)]
    assert reasons(video, ("v1", "A")) == [
        "nearly tied with B (4 faces each; the larger faces decided); face 0.50 from B (same-person distance 0.55)"]


def test_demo_flags_its_close_call_in_every_output(tmp_path):
    """The demo's row 7 shows Grace Hopper and, smaller, the astronaut in every frame: a tie on faces
    that the face area decides. It is flagged in the tables, the report and MLflow; nothing else is."""
    db = tmp_path / "mlflow.db"
    done = run_cli([f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}",
                    f"tracking.uri=sqlite:///{db}", "output.progress=false"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    for ext, read in (("csv", pd.read_csv), ("xlsx", pd.read_excel)):
        videos = read(out / f"ProcessedVideos_videos.{ext}")
        metrics = read(out / f"PerformanceMetrics_videos.{ext}")
        assert list(videos.columns[-6:]) == ["influencer_faces", "false_faces", "creative", "variant_of", "close_call",
                                             "close_call_reason"]
        assert list(metrics.columns[-4:]) == ["creative_count", "face_spread", "nearest_influencer",
                                              "nearest_distance"]
        grace, astronaut = videos.loc[6, "influencers"].split(";")
        assert list(videos["close_call"]) == [False] * 6 + [True] + [False] * 3
        tie = f"nearly tied with {astronaut} (4 faces each; the larger faces decided)"
        assert videos.loc[6, "close_call_reason"] == tie
        people = metrics.set_index("influencer")
        assert list(people.loc[[grace, astronaut], "nearest_influencer"]) == [astronaut, grace]
        assert people.loc[grace, "nearest_distance"] == pytest.approx(people.loc[astronaut, "nearest_distance"])
        assert (people["nearest_distance"] > SAME_PERSON).all()  # two different people
        assert (people["face_spread"].between(0, SAME_PERSON)).all()  # each one person, tight
    page = (out / "report.html").read_text()
    assert "<h2>Close calls (1)</h2>" in page
    assert (f'<tr><td class="num">7</td><td><a href="#card-{grace}">{grace}</a></td>' in page
            and f"<td>{tie}</td></tr>" in page)
    assert page.count("faces spread") == 2 and f'nearest other person <a href="#card-{astronaut}">' in page
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    run = client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id])[0]
    assert run.data.metrics["close_call_rows"] == 1
