"""Registry capabilities the review app needs: undo of every correction, "different people" records
that no merge and no run break, the "same person?" pairs, and a rerun that keeps stored faces with
the person the corrections gave them.

The rules are checked on a small registry of made-up faces; "a run never joins people said to be
different" through real runs on videos built from ../shared/faces."""
from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REVIEW_RUN, need_shared_faces, run_cli
from influencer_kit.registry import corrections
from influencer_kit.registry.pairs import close_pairs
from influencer_kit.registry.store import Registry, RegistryError
from influencer_kit_samples.videos import face_clip, load_rgb, write_video

KEY = "k"


@pytest.fixture
def registry(registry_location):
    """Three people: 001 with faces 1, 2 (videos a, b), 002 with face 3 (video c), 003 with face 4
    (video d); embeddings on a line: 0.0, 0.1, 0.4, 2.0. On SQLite, then on PostgreSQL."""
    with Registry(registry_location) as r, r.write():
        for number in (1, 2, 3):
            r.add_person(number)
        for person, video, x in (("influencer_001", "a", 0.0), ("influencer_001", "b", 0.1),
                                 ("influencer_002", "c", 0.4), ("influencer_003", "d", 2.0)):
            face = r.add_face(person, video, 0, (0, 0, 10, 10), (2, 2, 10, 10), b"jpeg")
            r.add_embedding(face, KEY, np.array([x, 0.0]))
    with Registry(registry_location) as r:
        yield r


def do(registry: Registry, change, *args) -> str:
    with registry.write():
        return change(registry, *args)


def test_every_correction_is_undone_back_to_where_it_was(registry):
    do(registry, corrections.rename, "influencer_002", "Ann")
    do(registry, corrections.merge, "influencer_001", "influencer_002")
    do(registry, corrections.split, "influencer_001", [], ["b"], "", "Bee")
    do(registry, corrections.ignore, "influencer_003")
    assert [f.person for f in registry.faces()] == ["influencer_001", "influencer_004", "influencer_001",
                                                    "influencer_003"]
    assert registry.person("influencer_001").name == "Ann"  # took the merged person's name
    said = [do(registry, corrections.undo, n) for n in (4, 3, 2, 1)]
    assert said == ["undo #4: mark influencer_003 as not an influencer",
                    "undo #3: split 1 face(s) of influencer_001 into new influencer_004",
                    "undo #2: merge influencer_002 into influencer_001",
                    'undo #1: rename influencer_002 to "Ann" (was "")']
    assert [f.person for f in registry.faces()] == ["influencer_001", "influencer_001", "influencer_002",
                                                    "influencer_003"]
    assert [(p.id, p.name, p.ignored) for p in registry.people()] == [
        ("influencer_001", "", False), ("influencer_002", "", False), ("influencer_003", "", False)]
    assert registry.person("influencer_004").id == "influencer_001"  # the split's id is not given out again
    assert registry.next_number() == 5


def test_an_undo_that_no_longer_fits_is_refused(registry):
    do(registry, corrections.rename, "influencer_002", "Ann")
    do(registry, corrections.rename, "influencer_002", "Anne")
    with pytest.raises(RegistryError, match="renamed again since"):
        do(registry, corrections.undo, 1)
    do(registry, corrections.undo, 2)
    with pytest.raises(RegistryError, match="is undone already"):
        do(registry, corrections.undo, 2)
    with pytest.raises(RegistryError, match="is an undo itself"):
        do(registry, corrections.undo, 3)
    with pytest.raises(RegistryError, match="no correction #9"):
        do(registry, corrections.undo, 9)
    assert registry.person("influencer_002").name == "Ann"


def test_people_said_to_be_different_are_not_merged_until_that_is_undone(registry):
    assert do(registry, corrections.different, "influencer_002", "influencer_001") == \
        "influencer_001 and influencer_002 are different people"
    with pytest.raises(RegistryError, match=r"marked as different people \(correction #1\); undo that"):
        do(registry, corrections.merge, "influencer_001", "influencer_002")
    do(registry, corrections.merge, "influencer_003", "influencer_001")  # 001 is 003 now: still not 002
    with pytest.raises(RegistryError, match="marked as different people"):
        do(registry, corrections.merge, "influencer_002", "influencer_003")
    do(registry, corrections.undo, 1)
    assert do(registry, corrections.merge, "influencer_002", "influencer_003") == \
        "merge influencer_003 into influencer_002"


def test_same_person_pairs_are_the_closest_faces_of_people_kept_apart(registry):
    pairs = close_pairs(registry, KEY, within=0.5)
    assert [(p.a, p.b, round(p.distance, 6), p.face_a, p.face_b) for p in pairs] == [
        ("influencer_001", "influencer_002", 0.3, 2, 3)]  # 0.1 and 0.4; 003 at 2.0 is far from both
    do(registry, corrections.different, "influencer_001", "influencer_002")
    assert close_pairs(registry, KEY, within=0.5) == []
    assert [(p.a, p.b) for p in close_pairs(registry, KEY, within=2.0)] == [("influencer_002", "influencer_003"),
                                                                            ("influencer_001", "influencer_003")]


def test_a_close_call_confirmed_is_listed_as_confirmed_until_undone(registry):
    assert do(registry, corrections.confirm, "influencer_003", "d" * 64) == \
        f"confirm influencer_003 as the influencer of video {'d' * 12}"
    assert corrections.confirmed(registry) == {("influencer_003", "d" * 64)}
    do(registry, corrections.undo, 1)
    assert corrections.confirmed(registry) == set()


@pytest.mark.slow
def test_a_run_never_joins_people_said_to_be_different(review_run, tmp_path):
    """alex_lacamoire's first two photos are influencer_001 and influencer_007 in the run. New posts
    of those two photos (other bytes) are left to clustering (registry.margin=10 makes every match
    ambiguous) at a cut wide enough to join them: without the record they become one new person;
    with influencer_001 and influencer_007 said to be different, two."""
    photos = sorted((need_shared_faces() / "people" / "alex_lacamoire").iterdir())[:2]
    (tmp_path / "videos").mkdir()
    for i, photo in enumerate(photos):
        write_video(tmp_path / "videos" / f"repost{i}.mp4", face_clip([load_rgb(photo)], 12, seed=500 + i))
    pd.DataFrame({"Video URL": ["videos/repost0.mp4", "videos/repost1.mp4"], "Performance": [1.0, 2.0]}).to_csv(
        tmp_path / "reposts.csv", index=False)
    people = {}
    for case in ("said different", "not said"):
        folder = tmp_path / case.replace(" ", "_")
        folder.mkdir()
        shutil.copy(review_run / "registry.pristine.db", folder / "registry.db")
        if case == "said different":
            said = subprocess.run([sys.executable, "-m", "influencer_kit.registry", "different", "influencer_001",
                                   "influencer_007"], cwd=folder, capture_output=True, text=True, timeout=60)
            assert said.returncode == 0, said.stderr
        done = run_cli([f"data.path={tmp_path / 'reposts.csv'}", f"output.dir={folder / 'out'}",
                        f"cache.dir={tmp_path / 'cache'}", f"registry.uri={folder / 'registry.db'}",
                        "tracking.enabled=false", *REVIEW_RUN, "cluster.eps=0.7", "registry.margin=10"], cwd=folder)
        assert done.returncode == 0, done.stderr[-3000:]
        people[case] = list(pd.read_csv(folder / "out" / "ProcessedVideos_videos.csv")["influencer"])
    assert people["not said"] == ["influencer_008", "influencer_008"]  # one new person: joined
    assert people["said different"] == ["influencer_008", "influencer_009"]  # kept apart
