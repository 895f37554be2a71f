"""The registry of known people: ids that persist across runs, corrections that stick, one embedder
per registry, and runs that share a registry at the same time.

The main scenario runs the CLI on the first half of a labelled data set, corrects the registry
through `python -m influencer_kit.registry` (rename, merge, a wrong merge undone by a split, ignore),
then runs on the second half and reruns the first."""
from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, make_config, need_shared_faces, run_cli
from omegaconf import OmegaConf
from openpyxl import load_workbook

from influencer_kit.model import Appearance
from influencer_kit.plugin import manager
from influencer_kit.registry.embedders import embedder_key
from influencer_kit.registry.known import KnownPeople, prepare, registry_path
from influencer_kit.registry.match import MatchRule, match
from influencer_kit.registry.store import Registry
from influencer_kit_samples.people import build_people_dataset

pytestmark = pytest.mark.slow

FIRST_HALF = 9  # rows of the 18-row data set (17 people videos and one with nobody)
RUN = ["frames_per_video=4", "executor.workers=1", "output.progress=false"]
TABLES = ["ProcessedVideos_videos", "PerformanceMetrics_videos", "Ranked_Influencers"]


def registry_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m influencer_kit.registry ARGS` as a user types it."""
    return subprocess.run([sys.executable, "-m", "influencer_kit.registry", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def run_on(work: Path, sheet: Path, out: str, *extra: str) -> dict[str, pd.DataFrame]:
    """A run from `work` (its registry: work/registry.db, beside the default MLflow store)."""
    done = run_cli([f"data.path={sheet}", f"output.dir={work / out}", f"cache.dir={work / 'cache'}", *RUN, *extra],
                   cwd=work)
    assert done.returncode == 0, done.stderr[-3000:]
    return {t: pd.read_csv(work / out / f"{t}.csv", keep_default_na=False) for t in TABLES}


def people_of(videos: pd.DataFrame) -> dict[str, str]:
    """Each true person's influencer id, from the rows where they are the video's person."""
    ok = videos[videos["influencer"] != ""]
    assert ok.groupby("Person")["influencer"].nunique().eq(1).all()
    return dict(zip(ok["Person"], ok["influencer"]))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    work = tmp_path_factory.mktemp("registry")
    table = pd.read_csv(build_people_dataset(need_shared_faces(), work / "data", n_frames=12))
    halves = work / "data" / "first.csv", work / "data" / "second.csv"
    table.iloc[:FIRST_HALF].to_csv(halves[0], index=False)
    table.iloc[FIRST_HALF:].to_csv(halves[1], index=False)

    before = run_on(work, halves[0], "first", "tracking.enabled=false")
    ids = people_of(before["ProcessedVideos_videos"])
    alex_videos = before["ProcessedVideos_videos"].query("Person == 'alex_lacamoire'")["video_sha256"]
    steps = [
        ("rename", ids["lin_manuel_miranda"], "Lin-Manuel Miranda"),
        ("merge", ids["kit_harington"], ids["rose_leslie"]),  # one account, two faces
        ("merge", ids["biden"], ids["alex_lacamoire"]),  # a wrong merge...
        ("split", ids["biden"], "--videos", *[sha[:12] for sha in alex_videos], "--name", "Alex L."),  # ...undone
        ("ignore", ids["obama"]),
    ]
    said = []
    for step in steps:
        done = registry_cli(work, *step)
        assert done.returncode == 0, done.stderr
        said.append(done.stdout.strip())
    after = run_on(work, halves[1], "second")  # tracked: MLflow's default store, beside the registry
    again = run_on(work, halves[0], "first_again", "tracking.enabled=false")
    return work, ids, said, before, after, again


def test_ids_names_merge_and_split_hold_in_the_next_run(scenario):
    work, ids, said, before, after, again = scenario
    assert [ids[p] for p in ("alex_lacamoire", "biden", "kit_harington", "lin_manuel_miranda", "obama",
                             "rose_leslie")] == [f"influencer_{i:03d}" for i in range(1, 7)]  # by first appearance
    assert said[3] == f"split 2 face(s) of {ids['biden']} into new influencer_007"
    for tables in (after, again):
        videos = tables["ProcessedVideos_videos"]
        by_person = videos.groupby("Person")
        assert set(videos["influencer"]) <= set(ids.values()) | {"influencer_007", ""}  # no new person
        lin = by_person.get_group("lin_manuel_miranda")
        assert set(lin["influencer"]) == {ids["lin_manuel_miranda"]} and set(lin["name"]) == {"Lin-Manuel Miranda"}
        assert set(by_person.get_group("biden")["influencer"]) == {ids["biden"]}  # stable across runs
        for person in ("kit_harington", "rose_leslie"):  # merged
            assert set(by_person.get_group(person)["influencer"]) == {ids["kit_harington"]}
        alex = by_person.get_group("alex_lacamoire")  # split off again, under a new id
        assert set(alex["influencer"]) == {"influencer_007"} and set(alex["name"]) == {"Alex L."}
        for table in ("PerformanceMetrics_videos", "Ranked_Influencers"):  # every table names people
            shown = tables[table]
            assert list(shown.columns).index("name") == list(shown.columns).index("influencer") + 1
            names = dict(zip(shown["influencer"], shown["name"]))
            assert names[ids["lin_manuel_miranda"]] == "Lin-Manuel Miranda" and names["influencer_007"] == "Alex L."
            assert names[ids["biden"]] == ""
    assert set(before["ProcessedVideos_videos"]["name"]) == {""}  # nobody had a name yet
    contract = SHARED / "check_contract.py"
    if contract.exists():
        done = subprocess.run([sys.executable, str(contract), str(work / "second"), str(work / "data" / "second.csv")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def test_an_ignored_person_is_never_a_videos_main_influencer(scenario):
    work, ids, said, before, after, again = scenario
    obama = ids["obama"]
    assert obama in set(before["ProcessedVideos_videos"]["influencer"])  # their videos, before
    for tables in (after, again):
        videos = tables["ProcessedVideos_videos"]
        assert obama not in set(videos["influencer"])
        assert obama not in set(tables["PerformanceMetrics_videos"]["influencer"])
        assert obama not in set(tables["Ranked_Influencers"]["influencer"])
        theirs = videos[videos["influencers"].str.split(";").map(lambda people: obama in people)]
        assert len(theirs) == (2 if tables is after else 1)  # still recognised, and listed
        alone = theirs[theirs["influencers"] == obama]
        assert (alone["status"] == "no_face").all() and alone["error"].str.contains("not an influencer").all()
    together = after["ProcessedVideos_videos"].query("Everyone == 'obama;rose_leslie'").iloc[0]
    assert together["influencers"].split(";") == [obama, ids["kit_harington"]]  # obama is the most present...
    assert together["influencer"] == ids["kit_harington"]  # ...but the main person is the other one


def test_mlflow_logs_matches_new_people_and_corrections(scenario):
    work, ids, said, before, after, again = scenario
    client = mlflow.MlflowClient(f"sqlite:///{work / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("influencer-kit").experiment_id])
    metrics = run.data.metrics
    # biden, kit (with rose), lin, obama, and the split-off alex; nobody new
    assert (metrics["registry_people_matched"], metrics["registry_people_new"]) == (5, 0)
    assert metrics["registry_appearances_ambiguous"] == 0
    assert (metrics["registry_corrections"], metrics["registry_corrections_new"]) == (5, 5)
    assert run.data.tags["ik.note.registry_corrections"].splitlines() == [f"registry {work / 'registry.db'}", *said]
    history = registry_cli(work, "history").stdout.splitlines()
    assert [line.split("  ")[1] for line in history] == said
    assert all(line.endswith("(runs since: 2)") for line in history)  # the second half, then the first again


def test_two_runs_at_once_neither_lose_nor_duplicate_a_person(scenario, tmp_path):
    """Both runs start on an empty registry at the same moment (faces cached, so both reach the
    people stage together): one adds the people, the other finds them."""
    work = scenario[0]
    command = [sys.executable, "-m", "influencer_kit", f"data.path={work / 'data' / 'videos.csv'}",
               f"cache.dir={work / 'cache'}", f"registry.uri={tmp_path / 'shared.db'}", "tracking.enabled=false", *RUN]
    runs = [subprocess.Popen([*command, f"output.dir={tmp_path / name}"], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for proc in runs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    a, b = (pd.read_csv(tmp_path / n / "ProcessedVideos_videos.csv", keep_default_na=False) for n in ("a", "b"))
    assert list(a["influencers"]) == list(b["influencers"])  # the same person, the same id, in both
    assert len(people_of(a)) == 6
    with Registry(tmp_path / "shared.db") as registry:
        assert [p.id for p in registry.people()] == [f"influencer_{i:03d}" for i in range(1, 7)]
        faces = registry.faces()
        assert len(faces) == len({(f.video, f.frame, f.box) for f in faces})


def test_a_registry_of_another_embedder_is_refused_or_reembedded(scenario, tmp_path):
    work = scenario[0]
    shutil.copy(work / "registry.db", tmp_path / "registry.db")
    done = run_cli([f"data.path={work / 'data' / 'first.csv'}", f"output.dir={tmp_path / 'out'}",
                    f"cache.dir={work / 'cache'}", "embedder.mirror=false", "tracking.enabled=false", *RUN],
                   cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / "out").exists()
    assert "built with the embedder" in done.stderr and "registry.reembed=true" in done.stderr
    assert '"mirror": true' in done.stderr and '"mirror": false' in done.stderr

    cfg = make_config(tmp_path, ["embedder.mirror=false", "registry.reembed=true"])
    known = prepare(cfg, manager.embedder_distance(cfg.embedder).threshold)  # embeds every stored face crop with the new embedder config
    old = embedder_key(OmegaConf.to_container(make_config(tmp_path).embedder, resolve=True))
    with Registry(tmp_path / "registry.db") as registry:
        owners, refs = registry.references(old)
        new_owners, new_refs = registry.references(known.embedder_key)
        assert new_owners == owners and len(registry.faces_without(known.embedder_key)) == 0
    # each re-embedded crop is recognised as its own person among the old embeddings
    assert [d.person for d in match(new_refs, refs, owners, MatchRule())] == owners


def test_corrections_by_editing_an_exported_workbook(scenario, tmp_path):
    work, ids = scenario[0], scenario[1]
    shutil.copy(work / "registry.db", tmp_path / "registry.db")
    assert registry_cli(tmp_path, "export", "people.xlsx").returncode == 0
    book = load_workbook(tmp_path / "people.xlsx")
    people, faces = book["people"], book["faces"]
    rows = {row[0].value: row for row in people.iter_rows(min_row=2)}
    rows[ids["biden"]][1].value = "Joe"  # name
    rows[ids["obama"]][2].value = None  # not_influencer: no longer
    rows[ids["lin_manuel_miranda"]][3].value = ids["biden"]  # merge_into
    kit_faces = [row for row in faces.iter_rows(min_row=2) if row[1].value == ids["kit_harington"]]
    rose_video = scenario[3]["ProcessedVideos_videos"].query("Person == 'rose_leslie'")["video_sha256"].iloc[0]
    moved = [row[0].value for row in kit_faces if row[3].value == rose_video]
    for row in kit_faces:
        if row[0].value in moved:
            row[1].value = "new"  # split rose off again
    book.save(tmp_path / "people.xlsx")
    done = registry_cli(tmp_path, "import", "people.xlsx")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"split 1 face(s) of {ids['kit_harington']} into new influencer_008",
        f'rename {ids["biden"]} to "Joe" (was "")',
        f"mark {ids['obama']} as an influencer again",
        f"merge {ids['lin_manuel_miranda']} into {ids['biden']}",
    ]
    with Registry(tmp_path / "registry.db") as registry:
        assert registry.person(ids["lin_manuel_miranda"]).id == ids["biden"]
        assert registry.person(ids["biden"]).name == "Joe" and not registry.person(ids["obama"]).ignored
        assert [f.id for f in registry.faces("influencer_008")] == moved
    again = registry_cli(tmp_path, "import", "people.xlsx")  # the same edits again: already made
    assert again.returncode == 0 and again.stdout.splitlines() == [
        f"left as is: face {moved[0]} is influencer_008's since the export (export again to edit it)",
        f"left as is: {ids['lin_manuel_miranda']} was merged into {ids['biden']} since the export"]
    assert registry_cli(tmp_path, "history").stdout.count("\n") == 9


def test_a_bad_correction_changes_nothing_and_says_why(scenario, tmp_path):
    work, ids = scenario[0], scenario[1]
    shutil.copy(work / "registry.db", tmp_path / "registry.db")
    unknown = registry_cli(tmp_path, "rename", "influencer_099", "Nobody")
    assert unknown.returncode == 2 and "no person 'influencer_099'" in unknown.stderr
    seen = pd.concat([scenario[3]["ProcessedVideos_videos"], scenario[4]["ProcessedVideos_videos"]])
    everything = registry_cli(tmp_path, "split", ids["biden"], "--videos",
                              *set(seen.query("Person == 'biden'")["video_sha256"]))
    assert everything.returncode == 2 and "every face" in everything.stderr
    assert registry_cli(tmp_path, "history").stdout == registry_cli(work, "history").stdout
    missing = registry_cli(tmp_path, "--registry", "nowhere.db", "list")
    assert missing.returncode == 2 and "no registry at" in missing.stderr


# the matching rule, on embeddings made up to sit at known distances
def at(*xs: float) -> np.ndarray:
    return np.array([[x, 0.0] for x in xs])


def test_a_clear_match_is_taken_and_a_far_one_is_not():
    refs, owners = at(0.0, 0.1, 2.0), ["a", "a", "b"]
    near, far = match(at(0.35, 1.2), refs, owners, MatchRule(match_distance=0.6, margin=0.05))
    assert (near.person, near.distance, near.ambiguous) == ("a", pytest.approx(0.25), False)  # nearest reference
    assert (far.person, far.ambiguous) == ("", False)  # 0.8 from both: nobody known


def test_an_ambiguous_match_is_not_forced():
    refs, owners = at(0.0, 1.0), ["a", "b"]
    (between,) = match(at(0.48), refs, owners, MatchRule(match_distance=0.6, margin=0.05))
    assert (between.person, between.ambiguous) == ("", True)  # 0.48 vs 0.52: within the margin
    (clearer,) = match(at(0.45), refs, owners, MatchRule(match_distance=0.6, margin=0.05))
    assert clearer.person == "a"  # 0.45 vs 0.55: a margin of 0.10


def test_with_nobody_known_every_appearance_is_left_for_clustering():
    (decision,) = match(at(0.0), np.zeros((0, 2)), [], MatchRule())
    assert (decision.person, decision.ambiguous) == ("", False)


def test_the_registry_lives_beside_the_mlflow_store(tmp_path):
    assert registry_path(None, f"sqlite:///{tmp_path}/mlflow.db") == tmp_path / "registry.db"
    assert registry_path(f"sqlite:///{tmp_path}/r.db", "http://127.0.0.1:5000") == tmp_path / "r.db"
    assert registry_path(None, "http://127.0.0.1:5000") == Path.cwd() / "registry.db"


def identify_in_process(where: Path | str, pictures: Path, key: str, start, seed: int) -> list[str]:
    """One process's people stage: 3 made-up people seen twice each, in an order of its own."""
    centres = np.eye(3, 8) * 5.0
    rng = np.random.default_rng(seed)
    order = rng.permutation(6)
    appearances = [Appearance(f"v{i}", [0], centres[i % 3] + rng.normal(0, 0.01, 8), 1, 1) for i in order]
    faces = {a.video: fake_faces(i, pictures / f"pictures{seed}") for a, i in zip(appearances, order)}
    start.wait()
    clusterer = manager.build("cluster", {"name": "dbscan", "eps": 0.6, "min_samples": 1})
    KnownPeople(where, key, MatchRule()).identify(appearances, faces, clusterer)
    return [a.person for a in sorted(appearances, key=lambda a: a.video)]


def fake_faces(i: int, folder: Path):
    """A video of one face, its crop (bytes standing in for a JPEG) in a folder of its own."""
    from influencer_kit.model import FaceRecord, VideoFaces

    video = VideoFaces([0], [FaceRecord(box=(i, 0, 10, 10), confidence=1.0, frame_index=0)],
                       np.zeros((1, 8), np.float32), images=folder / str(i))
    video.images.mkdir(parents=True, exist_ok=True)
    video.crop_file(0).write_bytes(b"jpeg")
    return video


def test_many_processes_identifying_at_once_agree(registry_location, tmp_path):
    """Four processes released together on one new registry: three people, one id each."""
    Registry(registry_location).__exit__()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(4)
        with context.Pool(4) as pool:
            results = pool.starmap(identify_in_process, [(registry_location, tmp_path, "k", start, s) for s in range(4)])
    assert all(r == results[0] for r in results)
    assert sorted(set(results[0])) == ["influencer_001", "influencer_002", "influencer_003"]
    with Registry(registry_location) as registry:
        assert len(registry.people()) == 3 and len(registry.faces()) == 6
