"""Shared fixtures: real configs, a local HTTP server, data sets built from ../shared/faces."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

from influencer_kit import config
from postgres import Cluster, binaries, free_port

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FACES = SHARED / "faces"
HOSTILE = '"><img src=x onerror="document.title=1">'  # text that would run script if written unescaped into HTML


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
    config.register_configs()
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


CLI_MAIN = "from influencer_kit.__main__ import cli\ncli()\n"  # `python -m influencer_kit`, as -c code


def run_python_without(modules: str | Sequence[str], code: str, args: list[str], cwd: Path | None = None,
                       timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -c CODE ARGS` in a child process where `modules` (and their submodules) cannot be
    imported, as on a machine without them installed."""
    hidden = (modules,) if isinstance(modules, str) else tuple(modules)
    hide = f"""
import importlib, importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Hide())
for name in {hidden!r}:
    try:
        importlib.import_module(name)
        raise SystemExit(name + " is still importable")
    except ModuleNotFoundError:
        pass
"""
    return subprocess.run([sys.executable, "-c", hide + code, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


class CountingServer(http.server.ThreadingHTTPServer):
    """A local HTTP server on 127.0.0.1 whose `handler` answers; counts the requests for each path."""

    def __init__(self, handler: type[RouteHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        """Count one more request for `path`; returns how many there have been, this one included."""
        with self.lock:
            self.hits[path] += 1
            return self.hits[path]

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (read timeouts, size limits) hang up mid-answer; that is expected."""


class RouteHandler(http.server.BaseHTTPRequestHandler):
    """Answers each GET with `route`, which a subclass writes. HTTP/1.0: every answer ends by
    closing the connection."""

    server: CountingServer

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request log."""

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.route(path, self.server.count(path))

    def route(self, path: str, hits: int) -> None:
        """Answer a request for `path` (without its query), asked for `hits` times so far."""
        raise NotImplementedError

    def reply(self, code: int, body: bytes, content_type: str = "video/mp4", content_length: int | None = -1) -> None:
        """Send `body`; `content_length` is the Content-Length to declare (-1: the true one, None: none)."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        if content_length is not None:
            self.send_header("Content-Length", str(len(body) if content_length == -1 else content_length))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


Server = TypeVar("Server", bound=CountingServer)


def _counting_servers() -> Iterator[Callable[[Server], Server]]:
    """`start(server)` serves it on a background thread until the fixture ends, and returns it."""
    running: list[tuple[CountingServer, threading.Thread]] = []

    def start(server: Server) -> Server:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join()


serve_routes = pytest.fixture(_counting_servers)
serve_routes_module = pytest.fixture(_counting_servers, scope="module", name="serve_routes_module")



REVIEW_RUN = ["frames_per_video=4", "executor.workers=1", "output.progress=false", "embedder=dlib", "cluster.eps=0.45"]


@pytest.fixture(scope="session")
def review_run(tmp_path_factory) -> Path:
    """A tracked run, with its registry, of the 18-video set built from ../shared/faces, embedded by
    dlib and cut at cluster.eps=0.45 (below dlib's 0.55) so one person (alex_lacamoire) comes out as two: influencer_001 and
    influencer_007. The run folder is `run/` (Hydra's, with `.hydra/`), the registry `registry.db`
    beside `mlflow.db`; `registry.pristine.db` and `run.pristine/` are copies of the registry and the
    run folder as the run left them (the browser test's Apply changes the originals)."""
    from influencer_kit_samples.people import build_people_dataset

    work = tmp_path_factory.mktemp("review")
    sheet = build_people_dataset(need_shared_faces(), work / "data", n_frames=12)
    done = run_cli([f"data.path={sheet}", f"hydra.run.dir={work / 'run'}", f"cache.dir={work / 'cache'}",
                    *REVIEW_RUN], cwd=work)
    assert done.returncode == 0, done.stderr[-3000:]
    shutil.copy(work / "registry.db", work / "registry.pristine.db")
    shutil.copytree(work / "run", work / "run.pristine")
    return work


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py)."""
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl (Debian package postgresql), absent here")
    cluster = Cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_location(request, tmp_path) -> Path | str:
    """Where a new, empty registry goes: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "r.db"
    return request.getfixturevalue("postgres").database()


def start_review(args: list[str], cwd: Path) -> tuple[subprocess.Popen, str]:
    """`python -m influencer_kit.review ARGS --port FREE` as a real server; its process and URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "influencer_kit.review", *args, "--port", str(port)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("review app: http://"), line + proc.stderr.read()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/static/review.css", timeout=2)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the review app did not answer")


def _review_servers():
    """`start(args, cwd)` starts the review app and returns its URL; each is stopped at the end."""
    started: list[subprocess.Popen] = []

    def start(args: list[str], cwd: Path) -> str:
        proc, url = start_review(args, cwd)
        started.append(proc)
        return url

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=30)


review_server = pytest.fixture(_review_servers)
review_server_module = pytest.fixture(_review_servers, scope="module", name="review_server_module")


def pip_install(project: Path, target: Path) -> Path:
    """Install a plugin project with pip into `target` (`--target`, no dependencies), as a user's
    `pip install` would leave it: the package and its dist-info with the entry points. Put `target`
    on a child's PYTHONPATH to use it."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(project)], check=True, capture_output=True, text=True)
    return target


def plugin_site(folder: Path, module: str, code: str, distribution: str, version: str = "1.0") -> Path:
    """A folder holding the one-file plugin `module` (source `code`) and its dist-info, as
    `pip install --target` leaves an installed distribution, registered as entry point `module`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(code)
    info = folder / f"{distribution.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[influencer_kit]\n{module} = {module}\n")
    return folder
