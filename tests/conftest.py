"""Shared fixtures: real configs, a local HTTP server, data sets built from ../shared/faces."""
from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

from influencer_kit import plugins

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FACES = SHARED / "faces"


def need_shared_faces() -> Path:
    """../shared/faces, or skip the test saying why."""
    if not (FACES / "people").is_dir():
        pytest.skip(f"needs the labelled face photos in {FACES} (absent in this checkout)")
    return FACES


@pytest.fixture
def shared_faces() -> Path:
    return need_shared_faces()


def make_config(tmp_path: Path, overrides: list[str] = ()) -> DictConfig:
    """The app's real config, composed as the CLI would, writing everything under tmp_path."""
    plugins.register_configs()
    base = [
        f"output.dir={tmp_path / 'out'}",
        f"cache.dir={tmp_path / 'cache'}",
        f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}",
        "output.progress=false",
    ]
    with initialize_config_module(config_module="influencer_kit.conf", version_base="1.3"):
        return compose(config_name="config", overrides=base + list(overrides), return_hydra_config=False)


def run_cli(args: list[str], cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """`python -m influencer_kit ARGS` exactly as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "influencer_kit", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {})},
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _folder_server():
    """Serve a folder over HTTP on 127.0.0.1; `start(folder)` returns the base URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


serve_folder = pytest.fixture(_folder_server)
serve_folder_module = pytest.fixture(_folder_server, scope="module", name="serve_folder_module")
