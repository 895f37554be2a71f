"""Every registered component, ranking method and link source passes the shared conformance
check (components without their model's weights skip saying which model)."""
from __future__ import annotations

import numpy as np
import pytest

from influencer_kit.plugin import check_component, check_link_source, check_ranking_method, manager
from influencer_kit.plugin.testing import check_clusterer_ties, tied_people
from influencer_kit_samples.photos import grace_hopper

COMPONENTS = sorted(manager.registry())
METHODS = sorted(manager.installed().ranking_methods)
SOURCES = [s.name for s in manager.link_sources()]


@pytest.fixture(scope="module")
def photo():
    return grace_hopper()


@pytest.fixture(scope="module")
def face_box(photo):
    """Grace Hopper's face, found by the default detector."""
    from influencer_kit.plugin.testing import build_default

    detector = build_default(manager.get_component("detector", "mtcnn")).fit()
    return max(detector.detect([photo])[0], key=lambda f: f.confidence)


@pytest.mark.parametrize("kind,name", COMPONENTS, ids=[f"{k}={n}" for k, n in COMPONENTS])
def test_component_conforms(kind, name, photo, face_box):
    component = manager.get_component(kind, name)
    config = component.config()
    if not component.weights_present(config):
        pytest.skip(f"{kind}={name}: the weights of its default model are not on this machine ({config}; "
                    f"see `python -m influencer_kit.plugin`)")
    check_component(component, photo, face_box)


def test_the_registry_holds_the_built_ins():
    assert METHODS == ["lower_bound", "penalized", "shrunk"]
    assert SOURCES == ["yt-dlp", "google_drive", "http"]


@pytest.mark.parametrize("name", METHODS)
def test_ranking_method_conforms(name):
    check_ranking_method(manager.ranking_method(name))


@pytest.mark.parametrize("name", SOURCES)
def test_link_source_conforms(name):
    check_link_source(next(s for s in manager.link_sources() if s.name == name))


def test_conformance_rejects_a_ranking_method_that_rewards_one_video():
    """Ranking by the raw mean lets an influencer with one video tie or beat ten as good: refused
    when the one video is better (here it ties, and the interval's upper end puts it ahead)."""
    from influencer_kit.plugin import RankingMethod

    by_upper_end = RankingMethod("upper_end", lambda table, params: table["ci_high"].copy(),
                                 lambda params: "upper_end: score = ci_high")
    with pytest.raises(AssertionError, match="one video wins on missing spread"):
        check_ranking_method(by_upper_end)


def test_deepface_weights_are_looked_up_for_the_configured_model(tmp_path):
    """`weights_present` is told the config: one model's file does not make another's present."""
    deepface = manager.get_component("embedder", "deepface")
    weights = tmp_path / ".deepface" / "weights"
    weights.mkdir(parents=True)
    (weights / "face_recognition_sface_2021dec.onnx").write_bytes(b"onnx")
    sface = deepface.config(model_name="SFace", weights_dir=str(tmp_path))
    arcface = deepface.config(model_name="ArcFace", weights_dir=str(tmp_path))
    assert deepface.weights_present(sface) is True
    assert deepface.weights_present(arcface) is False


def test_tied_people_have_duplicates_and_tied_distances():
    """The conformance data holds what real footage gives: exactly equal rows, and equal distances."""
    X, people = tied_people()
    distances = np.linalg.norm(X[:, None] - X[None], axis=-1)
    first = people[0]
    assert np.array_equal(X[first[0]], X[first[1]]) and np.array_equal(X[people[2][0]], X[people[2][1]])
    assert distances[first[0], first[2]] == distances[first[0], first[4]] == distances[first[2], first[4]]
    assert distances[first[0], first[2]] == pytest.approx(0.3)


def test_conformance_rejects_a_clusterer_that_leaves_duplicates_as_noise():
    """DBSCAN needing 3 rows per cluster calls a face seen twice noise: the pipeline would make it
    two people, so the check fails it (the well separated blobs alone would pass)."""
    from sklearn.cluster import DBSCAN

    strict = DBSCAN(eps=0.6, min_samples=3)
    with pytest.raises(AssertionError, match="duplicates or tied faces split, or noise"):
        check_clusterer_ties(strict)


def test_conformance_rejects_a_clusterer_that_crashes_on_ties():
    """scikit-learn's own HDBSCAN epsilon (issue #33219) crashes on the tied data; skipped once fixed."""
    from sklearn.cluster import HDBSCAN

    raw = HDBSCAN(min_cluster_size=2, min_samples=1, cluster_selection_epsilon=0.6, copy=True)
    try:
        raw.fit_predict(tied_people()[0])
    except TypeError:
        with pytest.raises(TypeError, match="only 0-dimensional arrays"):
            check_clusterer_ties(raw)
    else:
        pytest.skip("this scikit-learn's HDBSCAN handles tied distances (scikit-learn #33219 is fixed)")
