"""`cluster=hdbscan` on duplicate embeddings and tied distances, which crashed scikit-learn's own
epsilon step (scikit-learn #33219), through the CLI and on hand-made points."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from sklearn.neighbors import NearestNeighbors

from influencer_kit_plugins.hdbscan import HDBSCANClusterer, HDBSCANConfig, core_distances
from influencer_kit_samples.photos import astronaut, grace_hopper
from influencer_kit_samples.videos import face_clip, write_video


def test_tied_faces_through_the_cli(tmp_path):
    """Each photo in two videos that differ only in frame rate: the same frames, so exactly equal
    embeddings. Grace Hopper and her mirror image are two tight clusters (0.16 apart) inside one
    person, the astronaut (0.66 away) another: the nesting under epsilon that crashed."""
    photos = {"grace": grace_hopper(), "grace_mirrored": grace_hopper()[:, ::-1], "astronaut": astronaut()}
    rows = []
    for seed, (name, photo) in enumerate(photos.items()):
        frames = face_clip([photo], 12, seed=seed)
        for fps in (10, 12):
            write_video(tmp_path / f"{name}_{fps}.mp4", frames, fps=fps)
            rows.append({"video_url": f"{name}_{fps}.mp4", "performance": float(len(rows)),
                         "Person": name.split("_")[0]})
    pd.DataFrame(rows).to_csv(tmp_path / "videos.csv", index=False)
    done = run_cli([f"data.path={tmp_path / 'videos.csv'}", "data.label_column=Person", "cluster=hdbscan",
                    "tracking=none", f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}",
                    "output.progress=false"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    videos = pd.read_csv(tmp_path / "out" / "ProcessedVideos_videos.csv")
    assert list(videos["status"]) == ["ok"] * 6
    grace, astronaut_rows = videos["influencer"][:4], videos["influencer"][4:]
    assert grace.nunique() == 1 and astronaut_rows.nunique() == 1
    assert grace.iloc[0] != astronaut_rows.iloc[0]


def test_core_distance_counts_the_point_itself():
    """Points 0, 1 and 3 on a line: the 2nd nearest, itself first, is 1, 1, 2 away; the 3rd 3, 2, 3."""
    X = np.array([[0.0], [1.0], [3.0]])
    neighbours = NearestNeighbors().fit(X)
    assert core_distances(neighbours, 1, 3).tolist() == [0.0, 0.0, 0.0]
    assert core_distances(neighbours, 2, 3).tolist() == [1.0, 1.0, 2.0]
    assert core_distances(neighbours, 3, 3).tolist() == [3.0, 2.0, 3.0]
    assert np.isinf(core_distances(neighbours, 4, 3)).all()


@pytest.mark.parametrize("epsilon,expected", [(0.6, [0, 0, 0, 0, 1, 1]), (0.3, [0, 0, 1, 1, 2, 2])])
def test_clusters_closer_than_epsilon_merge(epsilon, expected):
    """Pairs at 0, 0.5 and 3 on a line (each pair 0.05 wide): the first two are 0.45 apart, so they
    are one group at epsilon 0.6 and two at 0.3; the third is always apart."""
    X = np.array([[0.0], [0.05], [0.5], [0.55], [3.0], [3.05]])
    labels = HDBSCANClusterer(HDBSCANConfig(cluster_selection_epsilon=epsilon)).fit_predict(X)
    first_seen = {label: i for i, label in reversed(list(enumerate(labels)))}
    assert [first_seen[label] for label in labels] == [expected.index(e) for e in expected]


def test_duplicates_share_a_label_and_a_lone_face_is_noise():
    """A face seen in two videos (equal rows) is one person even with too few rows to cluster;
    a face far from everyone is -1."""
    X = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    labels = HDBSCANClusterer(HDBSCANConfig(min_cluster_size=5, cluster_selection_epsilon=0.6)).fit_predict(X)
    assert labels[0] == labels[1] != -1 and labels[2] == -1
