"""The conformance checks every plugin's offer must pass, built-in or third-party (like
scikit-learn's `check_estimator`): `check_component` for detectors, embedders and clusterers,
`check_ranking_method` and `check_link_source`."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from influencer_kit.model import Face
from influencer_kit.plugin.components import CORE_CONFIGS, Component, Distance
from influencer_kit.plugin.link_sources import LinkSource
from influencer_kit.plugin.manager import configure
from influencer_kit.plugin.ranking_methods import RankingMethod, RankingParams

SAME_PERSON = 0.6  # the same-person distance the checks hand a clusterer (their people are far beyond it)


def build_default(component: Component):
    """The component built from its default config, as `manager.build` builds it."""
    return component.factory(configure(component, {"name": component.name}, SAME_PERSON))


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


# Three influencers as `ranking.rank` hands them to a method: `better` beats `steady` on every
# column; `one_video` has steady's mean from a single video (its interval the stand-in mean -/+ z x
# pooled std, 10 -/+ 1.645 x 1), so nothing is known of its spread.
RANKING_TABLE = pd.DataFrame({
    "influencer": ["steady", "better", "one_video"],
    "video_count": [10, 10, 1],
    "mean_performance": [10.0, 11.0, 10.0],
    "std_performance": [1.0, 1.0, float("nan")],
    "ci_low": [9.5, 10.5, 8.355],
    "ci_high": [10.5, 11.5, 11.645],
    "shrunk_mean": [9.9, 10.8, 9.6],
    "shrunk_sd": [0.3, 0.3, 0.6],
}, index=[7, 3, 5])
RANKING_PARAMS = RankingParams(std_penalty=0.5, ci_level=0.9, z=1.645, bootstrap_resamples=2000, seed=0,
                               pooled_std=1.0)


def check_ranking_method(method: RankingMethod) -> None:
    """One finite score per row on the table's index, the better influencer ahead, one video no
    advantage over ten as good, reruns agree; a one-line description starting with the name, with
    or without the pooled std."""
    table = RANKING_TABLE.copy()
    scores = method.score(table, RANKING_PARAMS)
    assert isinstance(scores, pd.Series) and list(scores.index) == [7, 3, 5], "one score per row, on its index"
    values = dict(zip(table["influencer"], scores.astype(float)))
    assert all(math.isfinite(v) for v in values.values()), f"scores not finite: {values}"
    assert values["better"] > values["steady"], f"the better influencer is not ahead: {values}"
    assert values["one_video"] <= values["steady"], f"one video wins on missing spread: {values}"
    assert table.equals(RANKING_TABLE), "the method changed the table it was given"
    assert method.score(table, RANKING_PARAMS).equals(scores), "not deterministic"
    for params in (RANKING_PARAMS, RankingParams(0.5, 0.9, 1.645, 2000, 0)):
        text = method.describe(params)
        assert text.startswith(method.name) and "\n" not in text, f"describe: {text!r}"


ODD_LINKS = ("", "not a link", "http://", "https://", "file:///tmp/v.mp4", "https://exa mple.com/ä?x=%zz",
             "https://" + "a" * 5000 + ".com/v")


def check_link_source(source: LinkSource) -> None:
    """A name, at least one example link it claims, and `claims` a plain yes or no for odd links."""
    assert isinstance(source.name, str) and source.name, "a link source has a name (the rows' `source`)"
    assert source.examples, f"{source.name}: give example links (LinkSource.examples)"
    for link in source.examples:
        assert source.claims(link) is True, f"{source.name}: does not claim its example {link}"
    for link in ODD_LINKS:
        assert isinstance(source.claims(link), bool), f"{source.name}: claims({link!r}) is not a bool"
    assert callable(source.fetch), f"{source.name}: fetch is not callable"
