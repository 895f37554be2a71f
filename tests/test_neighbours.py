"""The approximate neighbour search (faiss IVFFlat, used above `exact_max` points) agrees with exact
search on small data: the radius graph, the clusterers that use it, registry matching and the
close-call distances. `exact_max=0` forces the approximate path on data exact search handles."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from influencer_kit.model import Appearance
from influencer_kit.people import close_calls
from influencer_kit.people.linkage import average_linkage
from influencer_kit.people.neighbours import nearest, radius_graph
from influencer_kit.registry.match import MatchRule, match
from influencer_kit_plugins.dbscan import DBSCANClusterer, DBSCANConfig
from influencer_kit_plugins.hdbscan import HDBSCANClusterer, HDBSCANConfig

pytest.importorskip("faiss")


def people(count: int, per_person: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` people of `per_person` 128-d points each, about 0.35 apart within a person and 0.9
    between people, plus 20 points seen once; and each point's person."""
    rng = np.random.default_rng(seed)
    centres = 1.0 / np.sqrt(128) + rng.normal(scale=0.9 / np.sqrt(256), size=(count + 20, 128))
    labels = np.concatenate([np.repeat(np.arange(count), per_person), count + np.arange(20)])
    return centres[labels] + rng.normal(scale=0.25 / np.sqrt(128), size=(len(labels), 128)), labels


def test_the_approximate_radius_graph_holds_the_exact_pairs():
    X, _ = people(40, 6)
    exact = radius_graph(X, 0.55, exact_max=10_000)
    approximate = radius_graph(X, 0.55, exact_max=0)
    assert exact.nnz == 40 * 6 * 5  # each point's 5 others of its person, and nobody else
    assert (exact != 0).toarray().tolist() == (approximate != 0).toarray().tolist()
    assert np.allclose(exact.toarray(), approximate.toarray(), atol=1e-4)
    assert (approximate != approximate.T).nnz == 0


def test_identical_points_stay_neighbours():
    X = np.repeat(np.eye(3), 2, axis=0)
    graph = radius_graph(X, 0.1, exact_max=0)
    assert sorted(zip(*graph.nonzero())) == [(0, 1), (1, 0), (2, 3), (3, 2), (4, 5), (5, 4)]


def test_dbscan_and_average_linkage_label_alike_either_way():
    X, truth = people(60, 8, seed=1)
    exact = DBSCANClusterer(DBSCANConfig(eps=0.55, exact_max=10_000)).fit_predict(X)
    approximate = DBSCANClusterer(DBSCANConfig(eps=0.55, exact_max=0)).fit_predict(X)
    assert adjusted_rand_score(exact, approximate) == 1.0
    assert adjusted_rand_score(truth, exact) == 1.0
    assert average_linkage(X, 0.55, exact_max=0).tolist() == average_linkage(X, 0.55, exact_max=10_000).tolist()


@pytest.mark.parametrize("min_samples", [1, 3])
def test_hdbscan_labels_alike_on_its_spanning_tree(min_samples):
    """Above exact_max HDBSCAN runs on a spanning tree of approximate neighbours: the same people as
    exact HDBSCAN, every person found; a point seen once may pair with another or not (with
    min_samples=3 exact HDBSCAN pairs one lone point with another 0.78 away, a pair the
    approximate search does not look at)."""
    X, truth = people(60, 8, seed=1)
    settings = {"cluster_selection_epsilon": 0.55, "min_samples": min_samples}
    exact = HDBSCANClusterer(HDBSCANConfig(**settings, exact_max=10_000)).fit_predict(X)
    approximate = HDBSCANClusterer(HDBSCANConfig(**settings, exact_max=0)).fit_predict(X)
    assert adjusted_rand_score(exact[:480], approximate[:480]) == 1.0
    assert adjusted_rand_score(truth[:480], approximate[:480]) == 1.0 and (approximate[:480] >= 0).all()
    assert (approximate[480:] != exact[480:]).sum() <= 1


def test_nearest_approximate_matches_exact():
    X, _ = people(200, 5, seed=2)
    exact_d, exact_i = nearest(X, X, 4, exact_max=10_000)
    approx_d, approx_i = nearest(X, X, 4, exact_max=0)
    assert exact_i[:, 0].tolist() == list(range(len(X)))  # each point is its own nearest
    same = (approx_i == exact_i).all(axis=1)
    assert same.mean() >= 0.98  # recall: at least 98% of the points get exactly their 4 nearest
    assert np.allclose(approx_d[same], exact_d[same], atol=1e-3)  # float32 products: ~1e-7 on squares


def test_registry_matching_decides_alike_either_way():
    refs, owners_number = people(300, 3, seed=3)
    owners = [f"influencer_{o:03d}" for o in owners_number]
    X, truth = people(300, 3, seed=3)
    X = X + np.random.default_rng(9).normal(scale=0.02, size=X.shape)
    exact = match(X, refs, owners, MatchRule(match_distance=0.55, margin=0.05, exact_max=10_000))
    approximate = match(X, refs, owners, MatchRule(match_distance=0.55, margin=0.05, exact_max=0))
    assert [d.person for d in exact] == [f"influencer_{t:03d}" for t in truth]
    assert [d.person for d in approximate] == [d.person for d in exact]
    # a runner-up the approximate search did not reach is replaced by a farther one, never a nearer one
    assert all(a.runner_up >= e.runner_up - 1e-4 for a, e in zip(approximate, exact))


def test_close_call_distances_alike_dense_or_by_candidates(monkeypatch):
    """Comparing only the people near each appearance (found exactly here) finds the same nearest."""
    X, labels = people(30, 4, seed=4)
    appearances = [Appearance(video=f"v{i}", face_ids=[0], embedding=x, detections=1, area=1,
                              person=f"influencer_{label:03d}") for i, (x, label) in enumerate(zip(X, labels))]
    dense = close_calls.Distances(appearances)
    monkeypatch.setattr(close_calls, "DENSE_MAX", 0)
    by_candidates = close_calls.Distances(appearances)
    assert dense.dense and not by_candidates.dense
    for person in dense.people:
        assert by_candidates.nearest_person(person)[0] == dense.nearest_person(person)[0]
        assert by_candidates.nearest_person(person)[1] == pytest.approx(dense.nearest_person(person)[1])
    for a in appearances:
        own, others = dense.from_appearance(a)
        own_c, others_c = by_candidates.from_appearance(a)
        assert own_c == pytest.approx(own) if own is not None else own_c is None
        assert others_c[0][1] == others[0][1] and others_c[0][0] == pytest.approx(others[0][0])
