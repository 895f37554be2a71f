"""A component that fails mid-run stops it with one line naming the component, exit 2, and the
traceback in the run's log. The components come from a plugin installed the way pip installs one
(a dist-info with an `influencer_kit` entry point, on the child's PYTHONPATH)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import plugin_site, run_cli

PLUGIN = '''"""A plugin written for NumPy 1: its clusterer takes int() of 1-element arrays, which NumPy 2.4
refuses; its detector loads its weights with np.load."""
from dataclasses import dataclass

import numpy as np

from influencer_kit.plugin import ClusterConfig, Component, DetectorConfig, hookimpl


@dataclass
class FirstCoordinateConfig(ClusterConfig):
    name: str = "first_coordinate"


class FirstCoordinate:
    def __init__(self, config):
        self.config = config

    def fit_predict(self, X):
        return np.array([int(row) for row in X[:, :1] * 10])


@dataclass
class NpyDetectorConfig(DetectorConfig):
    name: str = "npy_weights"
    weights: str = ""


class NpyDetector:
    def __init__(self, config):
        self.config = config

    def fit(self):
        self.weights_ = np.load(self.config.weights)
        return self

    def detect(self, frames):
        return [[] for _ in frames]


@dataclass
class GreyOnlyConfig(DetectorConfig):
    name: str = "grey_only"


class GreyOnlyDetector:
    """Written for greyscale frames: unpacks two dimensions from an RGB frame's shape."""

    def __init__(self, config):
        self.config = config

    def fit(self):
        return self

    def detect(self, frames):
        out = []
        for frame in frames:
            height, width = frame.shape
            out.append([])
        return out


@hookimpl
def ik_components():
    return [Component(kind="cluster", name="first_coordinate", factory=FirstCoordinate, config=FirstCoordinateConfig),
            Component(kind="detector", name="npy_weights", factory=NpyDetector, config=NpyDetectorConfig),
            Component(kind="detector", name="grey_only", factory=GreyOnlyDetector, config=GreyOnlyConfig)]
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A folder holding the plugin and its dist-info, as `pip install --target` leaves them."""
    return plugin_site(tmp_path_factory.mktemp("site"), "ik_numpy1_plugin", PLUGIN, "ik-numpy1-plugin", "0.1")


def run_failing(tmp_path: Path, site: Path, *overrides: str):
    """The demo through the CLI with the plugin installed; returns the run, its `error:` line and
    the log file that line names."""
    done = run_cli([f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}", "tracking=none",
                    "output.progress=false", *overrides], cwd=tmp_path, env={"PYTHONPATH": str(site)})
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr[-3000:]
    log = re.fullmatch(r".* \(traceback in (.+)\)", errors[0])
    assert log, errors[0]
    return done, errors[0], Path(log.group(1))


def test_a_failing_clusterer_stops_the_run_with_one_line(tmp_path, site):
    done, error, log = run_failing(tmp_path, site, "cluster=first_coordinate")
    assert done.returncode == 2
    assert error.startswith("error: cluster=first_coordinate failed: TypeError: only 0-dimensional arrays "
                            "can be converted to Python scalars (traceback in ")
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert log.is_relative_to(tmp_path / "outputs") and log.name == "influencer_kit.log"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "int(row) for row in X" in text
    assert "ComponentError: cluster=first_coordinate failed" in text


def test_a_detector_failing_to_load_in_a_worker_stops_the_run(tmp_path, site):
    """The detector loads in each worker process of the pool; the worker's traceback reaches the log."""
    not_weights = tmp_path / "weights.npy"
    not_weights.write_text("these are not weights\n")
    done, error, log = run_failing(tmp_path, site, "detector=npy_weights", f"detector.weights={not_weights}",
                                   "executor.workers=2")
    assert done.returncode == 2
    assert error.startswith("error: detector=npy_weights failed: ValueError: ")
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    text = log.read_text()
    assert "self.weights_ = np.load(self.config.weights)" in text and "ComponentError: detector=npy_weights failed" in text
    assert not (tmp_path / "out" / "ProcessedVideos_videos.csv").exists()


def test_a_detector_failing_on_a_video_stops_the_run_instead_of_blaming_the_rows(tmp_path, site):
    """`detect` raising is the detector's fault: no row is marked undecodable for it."""
    done, error, log = run_failing(tmp_path, site, "detector=grey_only", "executor.workers=2")
    assert done.returncode == 2
    assert error.startswith("error: detector=grey_only failed: ValueError: too many values to unpack")
    assert "Traceback" not in done.stderr and "height, width = frame.shape" in log.read_text()
    assert not (tmp_path / "out" / "ProcessedVideos_videos.csv").exists()
