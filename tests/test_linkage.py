"""People told apart by the rules videos give for free: the chaining case, must-link (a track is
one person), cannot-link (two faces of one frame are two people), within a video and across videos."""
from __future__ import annotations

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

from influencer_kit.model import Appearance, FaceRecord
from influencer_kit.people.grouping import cluster_appearances, group_within_video
from influencer_kit.people.linkage import average_linkage, split_apart
from influencer_kit.plugin import manager


def on_a_line(*positions: float) -> np.ndarray:
    """128-d embeddings placed along one axis, so distances are differences of positions."""
    X = np.zeros((len(positions), 128))
    X[:, 0] = positions
    return X


# Three people: A near 0, B near 1, C near 2. One face of A sits 0.5 from one face of B, and one
# face of B 0.5 from one face of C: a close pair each, though the people are 1.0 apart on average.
CHAIN = on_a_line(0.0, 0.02, 0.04, 0.5, 1.0, 1.02, 1.04, 1.5, 2.0, 2.02, 2.04)
CHAIN_PEOPLE = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]


def test_one_close_pair_chains_three_people_under_single_linkage_but_not_average_linkage():
    assert DBSCAN(eps=0.55, min_samples=1).fit_predict(CHAIN).tolist() == [0] * 11  # the old default
    assert average_linkage(CHAIN, 0.55).tolist() == CHAIN_PEOPLE


def test_the_default_clusterer_keeps_the_chained_people_apart():
    clusterer = manager.build("cluster", {"name": "agglomerative"}, same_person=0.55)
    assert np.asarray(clusterer.fit_predict(CHAIN)).tolist() == CHAIN_PEOPLE


def test_average_linkage_is_scikit_learns_done_component_by_component():
    rng = np.random.default_rng(3)
    for _ in range(3):
        X = np.concatenate([rng.normal(c, 0.15, (30, 8)) for c in rng.normal(0, 1, (6, 8))])
        ours = average_linkage(X, 0.6)
        theirs = AgglomerativeClustering(n_clusters=None, distance_threshold=0.6, linkage="average").fit_predict(X)
        assert adjusted_rand_score(ours, theirs) == 1.0


def test_rows_that_must_stay_together_do_and_rows_kept_apart_never_meet():
    X = on_a_line(0.0, 0.9, 0.1, 0.15)
    assert average_linkage(X, 0.3).tolist() == [0, 1, 0, 0]
    # rows 0 and 1 are one track: one person however far apart their embeddings
    assert average_linkage(X, 0.3, start=np.array([0, 0, 1, 2])).tolist() == [0, 0, 1, 1]
    # rows 0 and 2 are apart (one frame): row 3 joins the nearer of them on average
    assert average_linkage(X, 0.3, apart=np.array([[0, 2]])).tolist() == [0, 1, 2, 2]


def face(frame: int, track: int, x: int = 0) -> FaceRecord:
    return FaceRecord(frame_index=frame, box=(x, 0, 50, 50), confidence=1.0, crop_jpeg=b"", track=track)


def test_within_a_video_two_faces_of_one_frame_are_two_people_and_a_track_is_one():
    # two look-alikes (0.1 apart) side by side in frames 0 and 10; each followed as one track
    embeddings = on_a_line(0.0, 0.1, 0.02, 0.12)
    faces = [face(0, 0, x=0), face(0, 1, x=100), face(10, 0, x=0), face(10, 1, x=100)]
    people = group_within_video("video", embeddings, faces, threshold=0.55)
    assert sorted(sorted(a.face_ids) for a in people) == [[0, 2], [1, 3]]
    assert all(a.frames == frozenset({0, 10}) for a in people)
    # a track whose two faces embed far apart (a turned head) is still one person
    far = group_within_video("video", on_a_line(0.0, 0.9), [face(0, 0), face(10, 0)], threshold=0.55)
    assert [sorted(a.face_ids) for a in far] == [[0, 1]]


def appearance(video: str, position: float, frames: set[int]) -> Appearance:
    return Appearance(video=video, face_ids=[0], embedding=on_a_line(position)[0], detections=1, area=2500,
                      frames=frozenset(frames))


def test_a_cluster_holding_two_people_of_one_frame_is_split():
    # v1 shows two look-alikes in one frame; v2 shows the second of them alone. Whatever merges all
    # three (here DBSCAN with a wide eps), the two of v1 end as two people, v2 with the nearer one.
    found = [appearance("v1", 0.0, {0, 5}), appearance("v1", 0.3, {5}), appearance("v2", 0.32, {0})]
    wide = manager.build("cluster", {"name": "dbscan", "eps": 1.0, "min_samples": 1})
    labels = cluster_appearances(found, wide).tolist()
    assert labels[0] != labels[1] and labels[1] == labels[2]
    # two people of one video never seen in one frame may be one person (a cut to a new shot)
    apart_in_time = [appearance("v1", 0.0, {0}), appearance("v1", 0.3, {5})]
    assert len(set(cluster_appearances(apart_in_time, wide).tolist())) == 1


def test_split_apart_leaves_clusters_without_a_conflict_and_noise_alone():
    X = on_a_line(0.0, 0.1, 5.0, 5.1, 9.0)
    labels = split_apart(X, np.array([0, 0, 1, 1, -1]), np.array([[2, 3]]))
    assert labels.tolist()[:2] == [0, 0] and labels[4] == -1
    assert labels[2] != labels[3] and {labels[2], labels[3]} & {1}
