"""What a run tells about its ranking, read back from the files and MLflow: the header notes, the
About and Not ranked sheets of Ranked_Influencers.xlsx, normalised statistics, and the run's tags
and metrics. One real, tracked run of the demo videos with a Date column, `ranking.min_videos=4`
(so the three-video influencer is not ranked) and `ranking.normalize_by=Date`."""
from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import make_config
from openpyxl import load_workbook

from influencer_kit import app, pipeline
from influencer_kit.errors import InputError
from influencer_kit.inputs.demo import build_demo

# One date per demo row: January and February (a good and a bad month) and a row with no date.
DATES = ["2024-01-04", "2024-02-08", "2024-01-15", "2024-02-19", "2024-01-22", "2024-02-02", "2024-01-30",
         "2024-02-12", "", "2024-01-09"]
# The ranking's description for SETTINGS on the demo: 0.54 is the pooled std of the two influencers'
# ratio-normalised scores (grace_hopper 4 videos, std 0.6449; astronaut 3, std 0.3221):
# sqrt((3 x 0.6449^2 + 2 x 0.3221^2) / 5) = 0.53948.
POOLED_STD = 0.53948
DESCRIBED = ("lower_bound: score = lower end of the 90% bootstrap CI of the mean (500 resamples, seed 0; "
             "one-video influencers use mean - 1.64 x the pooled std 0.54); performance / the median of its "
             "date group (ratio; a date column by month); at least 4 videos")
SETTINGS = ["tracking.enabled=true", "frames_per_video=4", "executor.workers=1", "ranking=lower_bound",
            "ranking.min_videos=4", "ranking.normalize_by=date", "ranking.bootstrap_resamples=500"]


def demo_with_dates(cache: Path, folder: Path) -> Path:
    """The demo sheet with absolute video paths and a `Date` column, as a CSV in `folder`."""
    demo_csv = build_demo(cache / "demo")
    sheet = pd.read_csv(demo_csv)
    sheet["Video URL"] = [str(demo_csv.parent / url) for url in sheet["Video URL"]]
    sheet["Date"] = DATES[: len(sheet)]
    path = folder / "dated.csv"
    sheet.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, mlflow.entities.Run, Path]:
    """The tracked job as the CLI runs it (`app.main_task`): its output folder, its MLflow run and
    its input sheet."""
    cache = tmp_path_factory.getbasetemp() / "ik-cache"  # shared with the other demo tests
    base = tmp_path_factory.mktemp("ranking-outputs")
    source = demo_with_dates(cache, base)
    cfg = make_config(base, [f"cache.dir={cache}", f"data.path={source}", *SETTINGS])
    app.main_task(cfg)
    client = mlflow.MlflowClient(cfg.tracking.uri)
    (logged,) = client.search_runs([client.get_experiment_by_name(cfg.tracking.experiment).experiment_id])
    return Path(cfg.output.dir), logged, source


def ranking_cfg() -> dict:
    """SETTINGS' ranking part, as `influencer_kit.ranking.ranking` reads it."""
    return {"method": "lower_bound", "min_videos": 4, "normalize_by": "date", "bootstrap_resamples": 500}


def test_the_workbook_opens_on_the_table_with_about_and_not_ranked_sheets(run):
    out, _, _ = run
    book = load_workbook(out / "Ranked_Influencers.xlsx")
    assert book.sheetnames == ["Ranked_Influencers", "About", "Not ranked"]
    table = pd.read_excel(out / "Ranked_Influencers.xlsx")  # the first sheet, as scripts read it
    assert table.columns[0] == "rank"
    assert {"influencer", "score", "mean_performance", "std_performance", "video_count", "ci_low", "ci_high",
            "shrunk_mean", "shrunk_sd", "top_group"} <= set(table.columns)
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    assert (table["video_count"] >= 4).all() and set(table["method"]) == {"lower_bound"}
    assert table["top_group"].iloc[0]  # #1 is in its own top group
    csv = pd.read_csv(out / "Ranked_Influencers.csv")  # one plain table: the ranked rows only
    assert list(csv.columns) == list(table.columns) and list(csv["influencer"]) == list(table["influencer"])
    assert sorted(p.name for p in out.glob("Ranked_Influencers*")) == ["Ranked_Influencers.csv",
                                                                      "Ranked_Influencers.xlsx"]


def test_not_ranked_sheet_lists_influencers_below_min_videos(run):
    out, _, _ = run
    metrics = pd.read_excel(out / "PerformanceMetrics_videos.xlsx")
    ranked = pd.read_excel(out / "Ranked_Influencers.xlsx")
    not_ranked = pd.read_excel(out / "Ranked_Influencers.xlsx", sheet_name="Not ranked")
    few = metrics.loc[metrics["video_count"] < 4, "influencer"]
    assert len(few) >= 1  # the demo's astronaut has three videos
    assert sorted(not_ranked["influencer"]) == sorted(few)
    assert set(not_ranked["influencer"]).isdisjoint(ranked["influencer"])
    assert len(ranked) + len(not_ranked) == len(metrics)  # nobody dropped
    for count, reason in zip(not_ranked["creative_count"], not_ranked["reason"]):
        assert reason == f"{count} counted creative(s), fewer than ranking.min_videos=4"
    assert {"ci_low", "ci_high", "shrunk_mean", "shrunk_sd"} <= set(not_ranked.columns)


def test_about_sheet_and_header_notes_name_the_method_and_its_parameters(run):
    out, _, _ = run
    about = pd.read_excel(out / "Ranked_Influencers.xlsx", sheet_name="About").set_index("item")["value"]
    assert about["score"] == DESCRIBED
    assert about["ranking.method"] == "lower_bound" and about["ranking.bootstrap_resamples"] == 500
    assert about["pooled std (sigma)"] == pytest.approx(POOLED_STD, abs=1e-5)
    assert about["ranking.min_videos"].startswith("4: influencers with fewer counted videos are not ranked")
    assert about["ranking.normalize_by"] == "date"
    assert about["normalisation"].startswith(
        "performance / median of the row's Date group (dates grouped by month)")
    assert about["rows without a date in Date"].startswith("1, compared with the median of every row")
    sheet = load_workbook(out / "Ranked_Influencers.xlsx").active
    header = {cell.value: cell for cell in sheet[1]}
    assert header["score"].comment.text.startswith(DESCRIBED)
    assert "not distinguishable from #1" in header["top_group"].comment.text
    metrics_sheet = load_workbook(out / "PerformanceMetrics_videos.xlsx").active
    metrics_header = {cell.value: cell for cell in metrics_sheet[1]}
    assert "bootstrap interval of the mean" in metrics_header["ci_low"].comment.text
    assert "divided by the median of its date group" in metrics_header["mean_performance"].comment.text


def test_statistics_are_relative_to_the_months_median(run):
    """Each influencer's mean is the mean of performance / median of its month, the medians over
    every row with a performance (the undated row is compared with the median of all rows)."""
    out, _, source = run
    sheet = pd.read_csv(source)
    month = sheet["Date"].fillna("").str[:7]
    median = sheet.groupby(month)["Performance"].median().to_dict()
    median[""] = sheet["Performance"].median()
    relative = sheet["Performance"] / month.map(median)
    videos = pd.read_csv(out / "ProcessedVideos_videos.csv")
    metrics = pd.read_excel(out / "PerformanceMetrics_videos.xlsx").set_index("influencer")
    counted = videos[videos["counted"]]
    assert len(counted) >= 7
    for person, rows in counted.groupby("influencer"):
        assert metrics.loc[person, "mean_performance"] == pytest.approx(relative[rows.index].mean())
        assert metrics.loc[person, "video_count"] == len(rows)


def test_mlflow_records_the_method_its_parameters_and_the_top_group(run):
    out, logged, _ = run
    ranked = pd.read_excel(out / "Ranked_Influencers.xlsx")
    not_ranked = pd.read_excel(out / "Ranked_Influencers.xlsx", sheet_name="Not ranked")
    assert logged.data.tags["ik.note.ranking"] == DESCRIBED
    params = logged.data.params
    assert (params["ranking.method"], params["ranking.min_videos"], params["ranking.normalize_by"]) == (
        "lower_bound", "4", "date")
    assert logged.data.metrics["ranking_ranked"] == len(ranked)
    assert logged.data.metrics["ranking_not_ranked"] == len(not_ranked)
    assert logged.data.metrics["ranking_top_group_size"] == ranked["top_group"].sum()
    assert logged.data.metrics["ranking_pooled_std"] == pytest.approx(POOLED_STD, abs=1e-5)


def test_an_unknown_normalize_by_column_stops_the_run_before_any_work(tmp_path, tmp_path_factory):
    source = demo_with_dates(tmp_path_factory.getbasetemp() / "ik-cache", tmp_path)
    cfg = make_config(tmp_path, [f"data.path={source}", "tracking.enabled=false",
                                 "ranking.normalize_by=Platform"])
    with pytest.raises(InputError, match=r"ranking.normalize_by='Platform': .* has no such column "
                                         r"\(its columns: 'Video URL', 'Performance', 'Person', 'Date'\)"):
        pipeline.run(cfg)
    assert not (tmp_path / "cache" / "faces").exists()  # no video was analysed
    assert not (tmp_path / "out").exists()  # and nothing written
