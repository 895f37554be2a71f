"""`check_component`: the one conformance test every detector, embedder and clusterer must pass,
built-in or third-party (like scikit-learn's `check_estimator`)."""
from __future__ import annotations

import dataclasses

import numpy as np

from influencer_kit.model import Face
from influencer_kit.plugin.components import CORE_CONFIGS, Component, Distance
from influencer_kit.plugin.manager import factory_params


def default_config(component: Component) -> dict:
    """The component's default config as a dict, the way the core hands it to `plugins.build`."""
    return dataclasses.asdict(component.config(name=component.name))


SAME_PERSON = 0.6  # the same-person distance the checks hand a clusterer (their people are far beyond it)


def build_default(component: Component):
    """The component built from its default config, as `plugins.build` builds it."""
    return component.factory(**factory_params(component, default_config(component), SAME_PERSON))


def check_config(component: Component) -> None:
    base = CORE_CONFIGS[component.kind]
    assert issubclass(component.config, base), f"{component.name}: config must subclass {base.__name__}"
    assert component.config().name == component.name, f"{component.name}: config's default name differs"


def check_clusterer(clusterer) -> None:
    """Three well separated blobs come back as three groups, labels are ints, reruns agree; then
    the same with duplicates and tied distances (`check_clusterer_ties`)."""
    rng = np.random.default_rng(0)
    centres = np.eye(3, 128) * 3.0
    X = np.concatenate([c + rng.normal(0, 0.02, (5, 128)) for c in centres])
    labels = np.asarray(clusterer.fit_predict(X))
    assert labels.shape == (15,) and np.issubdtype(labels.dtype, np.integer), "one int label per row"
    groups = [set(labels[i * 5 : (i + 1) * 5].tolist()) for i in range(3)]
    assert all(len(g) == 1 and -1 not in g for g in groups), f"blobs split or noise: {labels}"
    assert len(set().union(*groups)) == 3, f"blobs merged: {labels}"
    assert np.array_equal(labels, np.asarray(clusterer.fit_predict(X))), "not deterministic"
    check_clusterer_ties(clusterer)


def tied_people() -> tuple[np.ndarray, list[list[int]]]:
    """Embeddings as real footage gives them: the same face in two videos (exactly equal rows) and
    tied distances (each person's three faces equally far apart, 0.3, nested inside that person).
    Returns the rows and, per person, the indices of their rows (the last person is one face
    seen twice)."""
    face_offsets = np.eye(3, 128, k=10) * 0.3 / np.sqrt(2)  # three faces, pairwise exactly 0.3 apart
    people = [np.eye(1, 128, k=i)[0] * 3.0 for i in (0, 1, 2)]
    rows = [p + face_offsets[f] for p in people[:2] for f in (0, 0, 1, 1, 2)]  # faces 0 and 1 seen twice
    rows += [people[2], people[2]]
    return np.array(rows), [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


def check_clusterer_ties(clusterer) -> None:
    """Duplicate rows and tied distances: no crash, each person one group (not noise, so duplicates
    are one person), people kept apart, reruns agree."""
    X, people = tied_people()
    labels = np.asarray(clusterer.fit_predict(X))
    assert labels.shape == (len(X),) and np.issubdtype(labels.dtype, np.integer), "one int label per row"
    groups = [set(labels[rows].tolist()) for rows in people]
    assert all(len(g) == 1 and -1 not in g for g in groups), f"duplicates or tied faces split, or noise: {labels}"
    assert len(set().union(*groups)) == len(people), f"people merged: {labels}"
    assert np.array_equal(labels, np.asarray(clusterer.fit_predict(X))), "not deterministic"


def check_detector(detector, image: np.ndarray) -> list[Face]:
    """A real face photo gives at least one face inside the frame; a blank frame gives none."""
    found = detector.fit().detect([image, np.zeros_like(image)])
    assert len(found) == 2, "one list of faces per frame"
    faces, blank = found
    assert faces and all(isinstance(f, Face) for f in faces), "no face found in a face photo"
    for f in faces:
        x, y, w, h = f.box
        assert w > 0 and h > 0 and x < image.shape[1] and y < image.shape[0], f"box outside frame: {f.box}"
        assert 0.0 <= f.confidence <= 1.0, f"confidence {f.confidence} not in [0, 1]"
    assert not [f for f in blank if f.confidence >= 0.9], "confident face found in a blank frame"
    return faces


def check_embedder(embedder, image: np.ndarray, face: Face) -> None:
    """It states its distance before loading its model; one finite row per face; the same face
    twice embeds identically; no face gives no row."""
    distance = embedder.distance
    assert isinstance(distance, Distance), "an embedder states its `distance` (components.Distance)"
    assert distance.metric in ("euclidean", "cosine") and distance.same_person > 0, f"bad distance {distance}"
    embedder.fit()
    vectors = np.asarray(embedder.embed(image, [face, face]))
    assert vectors.ndim == 2 and vectors.shape[0] == 2 and vectors.shape[1] > 0, f"shape {vectors.shape}"
    assert np.isfinite(vectors).all(), "non-finite embedding"
    assert np.allclose(vectors[0], vectors[1], atol=1e-4), "same face, different embeddings"
    assert len(embedder.embed(image, [])) == 0, "rows for no faces"


def check_component(component: Component, image: np.ndarray, face: Face | None = None) -> None:
    """Run the checks for the component's kind. `image` is an RGB photo with one clear face and
    `face` its box (needed for embedders)."""
    check_config(component)
    instance = build_default(component)
    if component.kind == "cluster":
        check_clusterer(instance)
    elif component.kind == "detector":
        check_detector(instance, image)
    else:
        check_embedder(instance, image, face)
