"""The review app answering bad requests cleanly, against the real server over a copy of a real
run's registry (a SQLite file, then a PostgreSQL database): unknown people, stale forms, cross-site
posts, paths that must not reach the filesystem, a missing run folder, a registry of another embedder,
two editors at once; Apply on a run made with `output.dir=`, and a failed Apply's 4xx page."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import requests
from omegaconf import OmegaConf

from conftest import REVIEW_RUN, run_cli
from influencer_kit.registry.store import Registry
from influencer_kit.registry.transfer import copy_registry

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def copied(request, review_run, tmp_path) -> Path | str:
    """The run's registry as the run left it: a copy of its file in tmp_path, then the same copied
    into a new PostgreSQL database (`migrate`)."""
    shutil.copy(review_run / "registry.pristine.db", tmp_path / "registry.db")
    if request.param == "sqlite":
        return tmp_path / "registry.db"
    database = request.getfixturevalue("postgres").database()
    with Registry(tmp_path / "registry.db") as source, Registry(database) as target:
        copy_registry(source, target)
    return database


@pytest.fixture
def app(review_run, copied, review_server, tmp_path) -> str:
    return review_server(["--run", str(review_run / "run.pristine"), "--registry", str(copied)], tmp_path)


def form_of(page: str) -> dict[str, str]:
    """The hidden csrf and version of a page's first form."""
    return {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1) for name in ("csrf", "version")}


def review_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influencer_kit.review", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_an_unknown_person_or_page_is_a_404_page(app):
    missing = requests.get(app + "/person/influencer_099")
    assert missing.status_code == 404 and "No person influencer_099 in the registry." in missing.text
    assert 'class="button" href="/">People</a>' in missing.text  # a page of the app, with a way back
    assert requests.get(app + "/nowhere").status_code == 404
    assert requests.get(app + "/face/99999.jpg").status_code == 404


def test_no_request_path_reaches_the_filesystem(app, copied):
    for path in ("/face/..%2F..%2Fregistry.db", "/face/1.jpg/../../registry.db", "/static/../registry.db",
                 "/static/..%2F..%2F..%2Fregistry%2Fstore.py", "/static/%2Fetc%2Fpasswd"):
        answer = requests.get(app + path)
        assert answer.status_code == 404, path
        assert b"SQLite format" not in answer.content and b"root:" not in answer.content
    face = requests.get(app + "/face/1.jpg")
    with Registry(copied) as registry:
        assert face.status_code == 200 and face.content == registry.face(1).jpeg  # from the registry, by id


def test_a_post_without_the_token_or_from_another_site_changes_nothing(app, copied):
    page = requests.get(app + "/person/influencer_002").text
    fields = form_of(page)
    no_token = requests.post(app + "/rename/influencer_002", data={"name": "Eve", "version": fields["version"]})
    assert no_token.status_code == 403 and "Reload the page" in no_token.text
    wrong = requests.post(app + "/rename/influencer_002", data={"name": "Eve", "csrf": "guess", **{"version": "0"}})
    assert wrong.status_code == 403
    cross = requests.post(app + "/rename/influencer_002", data={"name": "Eve", **fields},
                          headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and "another site" in cross.text
    with Registry(copied) as registry:
        assert registry.person("influencer_002").name == "" and registry.corrections() == []
    made = requests.post(app + "/rename/influencer_002", data={"name": "Joe", "back": "/", **fields},
                         allow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/?said=rename")


def test_a_stale_form_says_so_and_changes_nothing(app, copied, review_run):
    fields = form_of(requests.get(app + "/person/influencer_002").text)
    cli = subprocess.run([sys.executable, "-m", "influencer_kit.registry", "--registry", str(copied), "rename",
                          "influencer_003", "Kit"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    stale = requests.post(app + "/rename/influencer_002", data={"name": "Joe", **fields})
    assert stale.status_code == 409
    assert "Someone changed the registry since this page was loaded (newest: #1, rename)" in stale.text
    assert 'id="reload"' in stale.text
    with Registry(copied) as registry:
        assert [c.args["person"] for c in registry.corrections()] == ["influencer_003"]
        assert registry.person("influencer_002").name == ""


def test_a_bad_correction_is_a_message_not_an_error(app, copied):
    fields = form_of(requests.get(app + "/person/influencer_002").text)
    one = requests.post(app + "/merge", data={"person": "influencer_002", **fields})
    assert one.status_code == 400 and "choose at least two people to merge" in one.text
    unknown = requests.post(app + "/split/influencer_002", data={"face": "1", "into": "influencer_099", **fields})
    assert unknown.status_code == 400 and "are not influencer_002&#39;s" in unknown.text
    with Registry(copied) as registry:
        assert registry.corrections() == []


def test_two_editors_at_once_lose_no_correction(app, copied):
    """Eight browsers post a rename each from pages loaded at one version: one is made, the others
    are told to reload; after reloading, each is made. Nothing is lost or made twice."""
    fields = form_of(requests.get(app + "/").text)
    people = [f"influencer_00{i}" for i in range(1, 8)]

    def rename(pid: str, version: str) -> int:
        return requests.post(app + f"/rename/{pid}", data={"name": f"N{pid[-1]}", "csrf": fields["csrf"],
                                                            "version": version}, allow_redirects=False).status_code
    with ThreadPoolExecutor(len(people)) as pool:
        first = list(pool.map(rename, people, [fields["version"]] * len(people)))
    assert sorted(first) == [303] + [409] * (len(people) - 1)
    for pid, status in zip(people, first):
        if status == 409:
            assert rename(pid, form_of(requests.get(app + "/").text)["version"]) == 303
    with Registry(copied) as registry:
        assert sorted(c.args["person"] for c in registry.corrections()) == people
        assert {p.id: p.name for p in registry.people()} == {pid: f"N{pid[-1]}" for pid in people}


def test_undo_from_the_history_page(app, copied):
    fields = form_of(requests.get(app + "/").text)
    merged = requests.post(app + "/merge", data={"person": ["influencer_001", "influencer_007"], **fields},
                           allow_redirects=False)
    assert merged.status_code == 303
    history = requests.get(app + "/history").text
    assert "merge influencer_007 into influencer_001" in history and 'action="/undo/1"' in history
    undone = requests.post(app + "/undo/1", data=form_of(history), allow_redirects=False)
    assert undone.status_code == 303 and "undo+%231" in undone.headers["location"]
    with Registry(copied) as registry:
        assert registry.person("influencer_007").id == "influencer_007"
        assert len(registry.faces("influencer_007")) == 1 and len(registry.faces("influencer_001")) == 2
    again = requests.get(app + "/history").text
    assert 'action="/undo/1"' not in again and 'action="/undo/2"' not in again  # an undo is not undone


def test_a_missing_run_folder_is_one_line_at_start(review_run, tmp_path):
    done = review_cli(["--run", str(tmp_path / "nowhere")], tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: no run folder at {tmp_path / 'nowhere'}: pass a run's output folder with --run PATH\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    done = review_cli(["--run", str(empty)], tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"error: {empty} is not a run's output folder")
    done = review_cli(["--run", str(review_run / "run"), "--registry", str(tmp_path / "none.db")], tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(f"error: no registry at {tmp_path / 'none.db'}")


def test_a_registry_of_another_embedder_is_one_line_saying_why(review_run, copied, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(review_run / "run" / ".hydra", run / ".hydra")
    for table in ("ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"):
        shutil.copy(review_run / "run" / f"{table}.csv", run)
    config = run / ".hydra" / "config.yaml"
    config.write_text(config.read_text().replace("num_jitters: 0", "num_jitters: 1"))
    done = review_cli(["--run", str(run), "--registry", str(copied)], tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert "was built with the embedder" in done.stderr and '"num_jitters": 1' in done.stderr


def test_apply_runs_the_runs_own_command_again_on_the_apps_registry(review_run, tmp_path):
    from influencer_kit.review.apply import command
    from influencer_kit.review.run_folder import RunFolder

    run = RunFolder.open(review_run / "run")
    assert run.started_in == review_run and run.registry() == review_run / "registry.db"
    assert command(run, tmp_path / "other.db")[1:] == [
        "-m", "influencer_kit", f"data.path={review_run / 'data' / 'videos.csv'}",
        f"cache.dir={review_run / 'cache'}", "frames_per_video=4", "executor.workers=1", "embedder=dlib",
        "cluster.eps=0.45", f"hydra.run.dir={review_run / 'run'}", f"registry.uri={tmp_path / 'other.db'}", "registry.enabled=true",
        "output.progress=false"]


def test_close_calls_are_confirmed_or_reassigned(app, copied, review_run):
    page = requests.get(app + "/close-calls").text
    assert re.findall(r'id="call-(\d+)"', page) == ["1", "7", "13", "17"]
    assert "nearly tied with influencer_006 (4 faces each; the larger faces decided)" in page
    videos = pd.read_csv(review_run / "run.pristine" / "ProcessedVideos_videos.csv",
                         keep_default_na=False).set_index("row")
    confirmed = requests.post(app + "/confirm", data={"person": "influencer_001", "video": videos.loc[1, "video_sha256"],
                                                      "back": "/close-calls", **form_of(page)}, allow_redirects=False)
    assert confirmed.status_code == 303
    page = requests.get(app + "/close-calls").text
    assert re.findall(r'id="call-(\d+)"', page) == ["7", "13", "17"]
    moved = requests.post(app + "/split/influencer_005", data={"video": videos.loc[17, "video_sha256"],
                                                              "into": "influencer_006", **form_of(page)},
                          allow_redirects=False)
    assert moved.status_code == 303
    with Registry(copied) as registry:
        assert [(c.action, c.args["person"]) for c in registry.corrections()] == [
            ("confirm", "influencer_001"), ("split", "influencer_005")]
        assert {f.video for f in registry.faces("influencer_006")} >= {videos.loc[17, "video_sha256"]}


@pytest.fixture(scope="module")
def output_dir_run(review_run, tmp_path_factory) -> Path:
    """A run of the same sheet and caches with `output.dir=out` (Hydra's own folder is `hydra/`),
    its registry and MLflow store in the work folder it returns."""
    work = tmp_path_factory.mktemp("output_dir_run")
    done = run_cli([f"data.path={review_run / 'data' / 'videos.csv'}", f"cache.dir={review_run / 'cache'}",
                    f"output.dir={work / 'out'}", f"hydra.run.dir={work / 'hydra'}", *REVIEW_RUN], cwd=work)
    assert done.returncode == 0, done.stderr[-3000:]
    return work


def test_apply_works_for_a_run_made_with_output_dir(output_dir_run, review_run, review_server):
    work, out = output_dir_run, output_dir_run / "out"
    assert not (out / ".hydra").exists() and OmegaConf.load(out / "config.yaml").output.dir == str(out)
    assert OmegaConf.to_container(OmegaConf.load(out / "command.yaml")) == {"cwd": str(work), "overrides": [
        f"data.path={review_run / 'data' / 'videos.csv'}", f"cache.dir={review_run / 'cache'}",
        f"output.dir={out}", *REVIEW_RUN]}
    url = review_server(["--run", str(out)], work)  # the run's own registry, found from its config.yaml
    before = (out / "Ranked_Influencers.csv").stat().st_mtime_ns
    applied = requests.post(url + "/apply", data=form_of(requests.get(url + "/").text), allow_redirects=False,
                            timeout=900)
    assert applied.status_code == 303, applied.text
    assert applied.headers["location"].startswith("/?sort=rank&said=Applied+in+")
    assert "rows%3A+18" in applied.headers["location"]
    assert (out / "Ranked_Influencers.csv").stat().st_mtime_ns > before
    client = mlflow.MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    assert len(client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id])) == 2


def test_a_failed_apply_is_a_4xx_page_saying_why(output_dir_run, copied, review_server, tmp_path):
    bare = tmp_path / "bare"  # the tables alone: how the run was made is unknown
    bare.mkdir()
    for table in ("ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"):
        shutil.copy(output_dir_run / "out" / f"{table}.csv", bare)
    url = review_server(["--run", str(bare), "--registry", str(copied)], tmp_path)
    unknown = requests.post(url + "/apply", data=form_of(requests.get(url + "/").text))
    assert unknown.status_code == 422
    assert (f"Apply failed: {bare} has no config.yaml and command.yaml (nor Hydra&#39;s .hydra/), so how it was "
            f"run is unknown") in unknown.text
    broken = tmp_path / "broken"  # a run whose spreadsheet has gone since
    shutil.copytree(output_dir_run / "out", broken)
    command = OmegaConf.load(broken / "command.yaml")
    command.overrides = [f"data.path={tmp_path / 'gone.csv'}" if o.startswith("data.path=") else o
                         for o in command.overrides]
    OmegaConf.save(command, broken / "command.yaml")
    url = review_server(["--run", str(broken), "--registry", str(copied)], tmp_path)
    failed = requests.post(url + "/apply", data=form_of(requests.get(url + "/").text), timeout=900)
    assert failed.status_code == 422
    assert "Apply failed: the run failed (exit status 2): error: " in failed.text and "gone.csv" in failed.text
