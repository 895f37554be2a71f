"""Plugins: discovery through entry points, errors for broken plugins, an installed example plugin."""
from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, pip_install, plugin_site, run_cli

from influencer_kit.errors import PluginError
from influencer_kit.plugin import ClusterConfig, Component, LinkSource, hookimpl, manager

EXAMPLE = ROOT / "tests" / "example_plugin"


def implements_a_hook(path: Path) -> bool:
    """Whether the module defines a function decorated with `@hookimpl` (or `@hookimpl(...)`)."""
    def is_hookimpl(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return isinstance(target, ast.Name) and target.id == "hookimpl"

    return any(isinstance(node, ast.FunctionDef) and any(map(is_hookimpl, node.decorator_list))
               for node in ast.walk(ast.parse(path.read_text())))


def test_every_plugin_module_has_an_entry_point_and_back():
    """Built-in plugins (plugins/, installed as influencer_kit_plugins) and the core's own
    registered modules (ranking methods, link rules, executors, the fused embedder) are the modules that implement a hook."""
    points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["influencer_kit"]
    folders = {"influencer_kit_plugins": ROOT / "plugins", "influencer_kit": ROOT / "influencer_kit"}
    modules = {f"{package}.{'.'.join(p.relative_to(folder).with_suffix('').parts)}"
               for package, folder in folders.items() for p in folder.rglob("*.py") if implements_a_hook(p)}
    assert set(points.values()) == modules
    assert {m for m in modules if m.startswith("influencer_kit.")} == {
        "influencer_kit.ranking.penalized", "influencer_kit.ranking.shrunk", "influencer_kit.ranking.lower_bound",
        "influencer_kit.acquire.link_rules", "influencer_kit.execution.executors", "influencer_kit.faces.fused"}


def test_builtins_import_the_core_only_through_the_plugin_api():
    """A built-in plugin is written as an outsider would write one: `influencer_kit.plugin` and its
    own package. The exceptions are the built-in clusterers, which run the core's average linkage
    and neighbour search (exact, or approximate above `exact_max` points)."""
    allowed = {"influencer_kit.plugin", "influencer_kit.people.linkage", "influencer_kit.people.neighbours"}
    used = {}
    for path in (ROOT / "plugins").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.split(".")[0] == "influencer_kit":
                    used.setdefault(name, set()).add(path.stem)
    assert set(used) <= allowed, used
    assert used["influencer_kit.people.linkage"] == {"agglomerative"}
    assert used["influencer_kit.people.neighbours"] == {"agglomerative", "dbscan", "hdbscan"}


def test_builtins_are_found_through_entry_points():
    pm = manager.get_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert {"mtcnn", "dlib", "dbscan", "retinaface", "opencv", "deepface", "hdbscan", "agglomerative",
            "penalized", "shrunk", "lower_bound", "link_rules"} <= names
    comps = manager.collect_components(pm)
    assert ("detector", "mtcnn") in comps and ("embedder", "dlib") in comps and ("cluster", "dbscan") in comps
    found = manager.collect(pm)
    assert sorted(found.ranking_methods) == ["lower_bound", "penalized", "shrunk"]
    assert [s.name for s in found.link_sources][-3:] == ["yt-dlp", "google_drive", "http"]
    assert found.providers[("cluster", "dbscan")] == manager.Provider("dbscan", "influencer-kit", "0.1.0")


def test_the_built_in_link_sources_are_asked_after_a_plugins():
    """A plugin's link source claims its links before the built-ins; the built-in http rule takes
    every other http(s) link."""
    pm = manager.get_plugin_manager()
    pm.register(_Vault(), name="vault")
    sources = manager.collect(pm).link_sources
    assert [s.name for s in sources] == ["vault", "yt-dlp", "google_drive", "http"]
    first = {link: next(s.name for s in sources if s.claims(link)) for link in
             ("https://vault.example/v/1", "https://youtu.be/aqz-KE-bpKQ", "https://drive.google.com/open?id=x1",
              "https://cdn.example/v.mp4")}
    assert first == {"https://vault.example/v/1": "vault", "https://youtu.be/aqz-KE-bpKQ": "yt-dlp",
                     "https://drive.google.com/open?id=x1": "google_drive", "https://cdn.example/v.mp4": "http"}


class _Vault:
    """A plugin with a link source for a (made-up) video vault."""

    @hookimpl
    def ik_link_sources(self):
        return [LinkSource("vault", lambda link: link.startswith("https://vault.example/"), lambda request: None,
                           examples=("https://vault.example/v/1",))]


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
    with pytest.raises(PluginError, match=r"cluster 'dbscan' is offered by both 'twin' and 'dbscan'"):
        manager.collect_components(pm)


def test_unknown_kind_is_an_error():
    pm = manager.get_plugin_manager(load_entry_points=False)
    pm.register(_BadKind(), name="bad")
    with pytest.raises(PluginError, match="unknown kind 'tracker'"):
        manager.collect_components(pm)


def test_misspelt_hook_is_caught():
    pm = manager.get_plugin_manager(load_entry_points=False)
    pm.register(_Misspelt(), name="typo")
    with pytest.raises(Exception, match="ik_component"):
        pm.check_pending()


def test_unknown_component_lists_the_installed_ones():
    with pytest.raises(PluginError, match="no cluster named 'kmeans'; installed: agglomerative, dbscan"):
        manager.get_component("cluster", "kmeans")


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """The example plugin package, really installed (pip, into its own folder on PYTHONPATH)."""
    return pip_install(EXAMPLE, tmp_path_factory.mktemp("site"))


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
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: cluster=chinese_whispers: no such option; choose one of agglomerative, dbscan, hdbscan"]
    misspelt = run_cli(["cluster.epz=0.4", f"output.dir={tmp_path / 'out'}"], cwd=tmp_path)
    assert misspelt.returncode == 2
    assert misspelt.stderr.splitlines() == [
        "error: cluster.epz: no such setting; cluster's settings are name, eps, linkage, metric, exact_max"]
    assert not (tmp_path / "out").exists()


def test_the_listing_says_whether_the_configured_models_weights_are_present(tmp_path):
    """`python -m influencer_kit.plugin embedder.model_name=...` asks about that model."""
    from influencer_kit.plugin.listing import describe

    weights = tmp_path / ".deepface" / "weights"
    weights.mkdir(parents=True)
    (weights / "face_recognition_sface_2021dec.onnx").write_bytes(b"onnx")

    def deepface_line(model: str) -> str:
        listing = describe([f"embedder.model_name={model}", f"embedder.weights_dir={tmp_path}"])
        return next(line for line in listing.splitlines() if line.strip().startswith("deepface"))

    assert deepface_line("SFace").split()[1:3] == ["weights", "present"]
    assert deepface_line("ArcFace").split()[1:3] == ["WEIGHTS", "MISSING"]


def test_the_listing_refuses_an_option_no_component_has():
    done = subprocess.run([sys.executable, "-m", "influencer_kit.plugin", "embedder.model=ArcFace"],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (2, "error: no installed embedder has the option 'model'\n")


MEDIAN_METHOD = '''"""A ranking method in one file: the median, less lambda x std (the pooled std for one video)."""
from influencer_kit.plugin import RankingMethod, hookimpl


def score(table, params):
    spread = table["std_performance"].where(table["video_count"] > 1, params.pooled_std)
    return table["median_performance"] - params.std_penalty * spread


def describe(params):
    return f"median: score = median - {params.std_penalty:g} x std (one-video influencers use {params.pooled})"


@hookimpl
def ik_ranking_methods():
    return [RankingMethod("median", score, describe)]
'''


def test_a_ranking_method_in_one_file_ranks_through_the_cli(tmp_path):
    import pandas as pd

    site = plugin_site(tmp_path / "site", "ik_median", MEDIAN_METHOD, "influencer-kit-median", "0.1.0")
    done = run_cli(["ranking.method=median", f"output.dir={tmp_path / 'out'}", f"cache.dir={tmp_path / 'cache'}",
                    "tracking=none", "output.progress=false"], cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr[-3000:]
    ranked = pd.read_csv(tmp_path / "out" / "Ranked_Influencers.csv")
    metrics = pd.read_csv(tmp_path / "out" / "PerformanceMetrics_videos.csv").set_index("influencer")
    assert len(ranked) >= 2 and set(ranked["method"]) == {"median"}
    two_or_more = ranked[ranked["video_count"] > 1].set_index("influencer")
    assert len(two_or_more) >= 1
    expected = metrics.loc[two_or_more.index, "median_performance"] - 0.5 * metrics.loc[two_or_more.index, "std_performance"]
    assert np.allclose(two_or_more["score"], expected)
    assert ranked["score"].is_monotonic_decreasing
