"""Plugins: discovery through entry points, errors for broken plugins, an installed example plugin."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from influencer_kit import hookimpl
from influencer_kit.plugin import manager
from influencer_kit.plugin.components import ClusterConfig, Component

EXAMPLE = ROOT / "tests" / "example_plugin"


def test_every_plugin_module_has_an_entry_point_and_back():
    points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["influencer_kit"]
    modules = {p.stem for p in (ROOT / "plugins").glob("*.py") if not p.stem.startswith("_")}
    assert {v.removeprefix("influencer_kit_plugins.") for v in points.values()} == modules


def test_builtins_are_found_through_entry_points():
    pm = manager.get_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert {"mtcnn", "dlib", "dbscan", "retinaface", "opencv", "deepface", "hdbscan", "agglomerative"} <= names
    comps = manager.collect_components(pm)
    assert ("detector", "mtcnn") in comps and ("embedder", "dlib") in comps and ("cluster", "dbscan") in comps


class _Twin:
    """A plugin offering a clusterer under a name that already exists."""

    @hookimpl
    def ik_components(self):
        return [Component(kind="cluster", name="dbscan", factory=object, config=ClusterConfig)]


class _BadKind:
    @hookimpl
    def ik_components(self):
        return [Component(kind="tracker", name="x", factory=object, config=ClusterConfig)]


class _Misspelt:
    @hookimpl
    def ik_component(self):
        return []


def test_duplicate_name_is_an_error_naming_both_plugins():
    pm = manager.get_plugin_manager()
    pm.register(_Twin(), name="twin")
    with pytest.raises(manager.PluginError, match=r"cluster 'dbscan' is offered by both 'dbscan' and 'twin'"):
        manager.collect_components(pm)


def test_unknown_kind_is_an_error():
    pm = manager.get_plugin_manager(load_entry_points=False)
    pm.register(_BadKind(), name="bad")
    with pytest.raises(manager.PluginError, match="unknown kind 'tracker'"):
        manager.collect_components(pm)


def test_misspelt_hook_is_caught():
    pm = manager.get_plugin_manager(load_entry_points=False)
    pm.register(_Misspelt(), name="typo")
    with pytest.raises(Exception, match="ik_component"):
        pm.check_pending()


def test_unknown_component_lists_the_installed_ones():
    with pytest.raises(manager.PluginError, match="no cluster named 'kmeans'; installed: agglomerative, dbscan"):
        manager.get_component("cluster", "kmeans")


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """The example plugin package, really installed (pip, into its own folder on PYTHONPATH)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, text=True,
    )
    return target


def test_example_plugin_is_listed_once_installed(installed_example):
    listing = subprocess.run([sys.executable, "-m", "influencer_kit.plugin"], capture_output=True, text=True,
                             env={"PYTHONPATH": str(installed_example), "PATH": ""}, check=True).stdout
    assert "chinese_whispers" in listing and "threshold=(the embedder's same-person distance)" in listing


def test_example_plugin_runs_from_the_cli(installed_example, tmp_path):
    done = run_cli(["cluster=chinese_whispers", "cluster.threshold=0.5", f"output.dir={tmp_path / 'out'}",
                    f"cache.dir={tmp_path / 'cache'}", "tracking.enabled=false", "output.progress=false"],
                   cwd=tmp_path, env={"PYTHONPATH": str(installed_example)})
    assert done.returncode == 0, done.stderr[-3000:]
    import pandas as pd

    videos = pd.read_csv(tmp_path / "out" / "ProcessedVideos_videos.csv")
    ok = videos[videos["status"] == "ok"]
    assert ok.groupby("Person")["influencer"].nunique().eq(1).all()
    assert ok["influencer"].nunique() == ok["Person"].nunique() == 2


def test_unknown_option_fails_before_any_work(tmp_path):
    done = run_cli(["cluster=chinese_whispers", f"output.dir={tmp_path / 'out'}"], cwd=tmp_path)
    assert done.returncode != 0
    assert "chinese_whispers" in done.stderr and "dbscan" in done.stderr  # Hydra lists the valid options
    misspelt = run_cli(["cluster.epz=0.4", f"output.dir={tmp_path / 'out'}"], cwd=tmp_path)
    assert misspelt.returncode != 0 and "epz" in misspelt.stderr
    assert not (tmp_path / "out").exists()
