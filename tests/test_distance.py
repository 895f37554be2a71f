"""Each embedder states its distance; every threshold left at null reads it, so another model
clusters at its own same-person distance without a hand-set `cluster.eps`."""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make_config

from influencer_kit.plugin import manager
from influencer_kit.plugin.components import Distance
from influencer_kit.registry.known import prepare


def test_cosine_embeddings_are_compared_as_unit_vectors():
    cosine = Distance("cosine", 0.68)
    vectors = cosine.prepare(np.array([[3.0, 4.0], [0.0, 2.0]]))
    assert np.allclose(vectors, [[0.6, 0.8], [0.0, 1.0]])
    # on unit vectors Euclidean d and cosine distance c agree: d = sqrt(2c)
    assert cosine.threshold == pytest.approx(math.sqrt(1.36))
    euclidean = Distance("euclidean", 0.55)
    assert euclidean.threshold == 0.55 and np.array_equal(euclidean.prepare(np.array([[3.0, 4.0]])), [[3.0, 4.0]])


def test_the_embedders_state_their_distance_without_loading_a_model():
    assert manager.embedder_distance({"name": "dlib"}) == Distance("euclidean", 0.55)
    # deepface's own tuned cosine distances (deepface/config/threshold.py), read without TensorFlow
    arcface = manager.embedder_distance({"name": "deepface", "model_name": "ArcFace"})
    assert arcface == Distance("cosine", 0.68)
    assert manager.embedder_distance({"name": "deepface", "model_name": "Facenet512"}) == Distance("cosine", 0.30)


@pytest.mark.parametrize("cluster", ["agglomerative", "dbscan"])
def test_a_run_with_arcface_clusters_at_arcfaces_distance(tmp_path, cluster):
    cfg = make_config(tmp_path, ["embedder=deepface", "embedder.model_name=ArcFace", f"cluster={cluster}"])
    same_person = manager.embedder_distance(cfg.embedder).threshold
    assert same_person == pytest.approx(1.16619, abs=1e-5)
    assert manager.build("cluster", cfg.cluster, same_person).config.eps == pytest.approx(1.16619, abs=1e-5)
    # a hand-set value still wins
    cfg = make_config(tmp_path, ["embedder=deepface", "embedder.model_name=ArcFace", f"cluster={cluster}",
                                 "cluster.eps=0.9"])
    assert manager.build("cluster", cfg.cluster, same_person).config.eps == 0.9


def test_the_registry_matches_at_the_embedders_distance_unless_set(tmp_path):
    cfg = make_config(tmp_path, [f"registry.uri={tmp_path / 'registry.db'}"])
    assert prepare(cfg, 0.55).rule.match_distance == 0.55
    cfg = make_config(tmp_path, [f"registry.uri={tmp_path / 'registry.db'}", "registry.match_distance=0.4"])
    assert prepare(cfg, 0.55).rule.match_distance == 0.4
