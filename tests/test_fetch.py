"""Tests of influencer_kit.acquire.download against a real HTTP server on 127.0.0.1 serving a fault matrix."""
from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from conftest import CountingServer, RouteHandler
from omegaconf import OmegaConf

from influencer_kit.acquire.download import FetchConfig
from influencer_kit.acquire.fetch import fetch, fetch_all
from influencer_kit.model import Fetched

GOOD = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8  # stands in for a video
HTML = b"<!doctype html><html><body>not a video</body></html>"
MAX_BYTES = 4096
SLOW_SECONDS = 2.0
MATRIX_BOUND_S = 20.0  # the whole fault matrix must finish within this

CFG = FetchConfig(connect_timeout=0.5, read_timeout=0.5, retries=2, backoff=0.01, max_bytes=MAX_BYTES,
                  max_redirects=3, workers=4)


class FaultHandler(RouteHandler):
    """One route per fault."""

    def route(self, path: str, hits: int) -> None:
        if path in ("/good.mp4", "/alias/clip.MP4", "/ext/watch", "/ext/a.toolong"):
            self.reply(200, GOOD)
        elif path == "/missing.mp4":
            self.reply(404, b"no such video")
        elif path == "/flaky.mp4":
            self.reply(500, b"oops") if hits == 1 else self.reply(200, GOOD)
        elif path == "/down.mp4":
            self.reply(503, b"down")
        elif path == "/slow.mp4":
            time.sleep(SLOW_SECONDS)
            self.reply(200, GOOD)
        elif path == "/big.mp4":
            self.reply(200, b"x" * (MAX_BYTES + 1))
        elif path == "/big-stream.mp4":
            self.reply(200, b"x" * (MAX_BYTES * 4), content_length=None)
        elif path in ("/loop-a", "/loop-b"):
            self.redirect("/loop-b" if path == "/loop-a" else "/loop-a")
        elif path.startswith("/hop/"):
            self.redirect(f"/hop/{int(path[5:]) + 1}")
        elif path == "/redirect":
            self.redirect("/good.mp4")
        elif path == "/truncated.mp4":
            self.reply(200, GOOD[:100], content_length=len(GOOD))
        elif path == "/empty.mp4":
            self.reply(200, b"")
        elif path == "/page.html":
            self.reply(200, HTML, content_type="text/html")
        else:
            self.reply(404, b"unknown route")


@pytest.fixture
def server(serve_routes: Callable[[CountingServer], CountingServer]) -> CountingServer:
    return serve_routes(CountingServer(FaultHandler))


@pytest.fixture
def sheet_dir(tmp_path: Path) -> Path:
    """The spreadsheet's folder, holding a local video next to it."""
    folder = tmp_path / "sheet"
    (folder / "clips").mkdir(parents=True)
    (folder / "clips" / "local.mp4").write_bytes(GOOD)
    return folder


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_cache_clean(cache: Path) -> None:
    """Only complete, content-addressed files: no temp or partial files anywhere in the cache."""
    for f in (cache / "videos").rglob("*"):
        if f.is_file():
            assert re.fullmatch(r"[0-9a-f]{64}(\.[a-z0-9]{1,5})?", f.name), f"stray file {f}"
            assert f.parent.name == f.name[:2]
            assert sha(f.read_bytes()) == f.name[:64], f"{f} does not hold the bytes its name says"
    for f in (cache / "urls").rglob("*"):
        assert re.fullmatch(r"[0-9a-f]{64}\.txt", f.name), f"stray file {f}"


def test_fault_matrix(server: CountingServer, sheet_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    rows: list[tuple[str, str, list[str]]] = [  # url, status, words the error must contain
        (server.url("/slow.mp4"), "download_error", ["/slow.mp4", "0.5 s", "read_timeout", "3 attempts"]),
        (server.url("/good.mp4"), "ok", []),
        (server.url("/missing.mp4"), "download_error", ["/missing.mp4", "HTTP 404 Not Found"]),
        (server.url("/flaky.mp4"), "ok", []),
        (server.url("/down.mp4"), "download_error", ["/down.mp4", "HTTP 503 Service Unavailable", "3 attempts"]),
        (server.url("/big.mp4"), "download_error", ["/big.mp4", f"larger than {MAX_BYTES} bytes", "Content-Length"]),
        (server.url("/big-stream.mp4"), "download_error", ["/big-stream.mp4", f"larger than {MAX_BYTES} bytes"]),
        (server.url("/loop-a"), "download_error", ["/loop-a", "loop"]),
        (server.url("/hop/1"), "download_error", ["/hop/1", "more than 3 times", "max_redirects"]),
        (server.url("/redirect"), "ok", []),
        (server.url("/truncated.mp4"), "download_error", ["/truncated.mp4", "truncated"]),
        (server.url("/empty.mp4"), "download_error", ["/empty.mp4", "empty response"]),
        (server.url("/page.html"), "ok", []),
        ("ftp://x/y.mp4", "invalid_url", ["ftp://x/y.mp4", "ftp:", "http://", "https://", "file://"]),
        ("javascript:alert(1)", "invalid_url", ["javascript:", "http://"]),
        ("", "invalid_url", ["empty", "http://"]),
        ("   ", "invalid_url", ["empty", "http://"]),
        (math.nan, "invalid_url", ["nan", "http://"]),
        (None, "invalid_url", ["None", "http://"]),
        (42, "invalid_url", ["42", "http://"]),
        ("http:///no-host.mp4", "invalid_url", ["no host"]),
        ("clips/local.mp4", "ok", []),
        ((sheet_dir / "clips" / "local.mp4").as_uri(), "ok", []),
        ("clips/nowhere.mp4", "download_error", [str(sheet_dir / "clips" / "nowhere.mp4"), "does not exist"]),
        ("file:///definitely/not/here.mp4", "download_error", ["/definitely/not/here.mp4", "does not exist"]),
    ]
    items = [(i + 1, url) for i, (url, _, _) in enumerate(rows)]

    start = time.monotonic()
    results = fetch_all(items, sheet_dir, cache, CFG, progress=True)
    elapsed = time.monotonic() - start

    assert elapsed < MATRIX_BOUND_S, f"the fault matrix took {elapsed:.1f} s"
    assert [r.row for r in results] == [row for row, _ in items]
    for result, (url, status, words) in zip(results, rows):
        assert result.status == status, (url, result)
        assert result.url == (url if isinstance(url, str) else "")
        for word in words:
            assert word in result.error, (url, word, result.error)
        if status == "ok":
            assert result.error == ""
            assert result.path is not None and result.path.is_file()
            assert result.path.is_relative_to(cache / "videos")
            assert result.sha256 == sha(result.path.read_bytes())
        else:
            assert result.path is None and result.sha256 is None and result.error
    by_url = {r.url: r for r in results}
    assert by_url[server.url("/page.html")].sha256 == sha(HTML)  # no sniffing here
    assert {r.source for r in results if r.status == "ok"} == {"http", "file", "local"}
    assert by_url["clips/local.mp4"].source == "local" and not by_url["clips/local.mp4"].downloaded
    assert by_url[server.url("/good.mp4")].downloaded
    assert_cache_clean(cache)


def test_same_bytes_under_different_urls_share_the_cached_file(
    server: CountingServer, sheet_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    urls = [server.url("/good.mp4"), server.url("/good.mp4?utm=x"), "clips/local.mp4",
            (sheet_dir / "clips" / "local.mp4").as_uri(), server.url("/alias/clip.MP4")]
    results = [fetch(i, url, sheet_dir, cache, CFG) for i, url in enumerate(urls, 1)]
    assert {r.status for r in results} == {"ok"}
    assert {r.sha256 for r in results} == {sha(GOOD)}
    assert {r.path for r in results} == {cache / "videos" / sha(GOOD)[:2] / f"{sha(GOOD)}.mp4"}
    # the extension comes from the URL as written, so a redirect without one gives the bare hash
    redirected = fetch(9, server.url("/redirect"), sheet_dir, cache, CFG)
    assert redirected.path == cache / "videos" / sha(GOOD)[:2] / sha(GOOD)
    assert_cache_clean(cache)


def test_second_fetch_of_a_url_uses_the_cache_not_the_network(
    server: CountingServer, sheet_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    url = server.url("/good.mp4")
    first = fetch(1, url, sheet_dir, cache, CFG)
    assert first.status == "ok" and first.downloaded
    assert server.hits["/good.mp4"] == 1

    again = fetch_all([(1, url), (2, url)], sheet_dir, cache, CFG, progress=False)  # e.g. a resumed run
    assert [(r.status, r.path, r.sha256, r.downloaded) for r in again] == [("ok", first.path, first.sha256, False)] * 2
    assert server.hits["/good.mp4"] == 1

    assert first.path is not None
    first.path.unlink()  # the index alone is not enough: the file must still be there
    third = fetch(1, url, sheet_dir, cache, CFG)
    assert third.status == "ok" and third.downloaded and third.path == first.path
    assert server.hits["/good.mp4"] == 2


def test_4xx_is_not_retried_and_5xx_is(server: CountingServer, sheet_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert fetch(1, server.url("/missing.mp4"), sheet_dir, cache, CFG).status == "download_error"
    assert server.hits["/missing.mp4"] == 1

    assert fetch(2, server.url("/down.mp4"), sheet_dir, cache, CFG).status == "download_error"
    assert server.hits["/down.mp4"] == CFG.retries + 1

    flaky = fetch(3, server.url("/flaky.mp4"), sheet_dir, cache, CFG)
    assert flaky.status == "ok" and flaky.sha256 == sha(GOOD)
    assert server.hits["/flaky.mp4"] == 2

    no_retries = FetchConfig(**{**CFG.__dict__, "retries": 0})
    down = fetch(4, server.url("/down.mp4?again"), sheet_dir, cache, no_retries)
    assert down.status == "download_error" and "attempts" not in down.error
    assert server.hits["/down.mp4"] == CFG.retries + 2
    assert_cache_clean(cache)


def test_failures_leave_nothing_in_the_cache(server: CountingServer, sheet_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for path in ("/big.mp4", "/big-stream.mp4", "/truncated.mp4", "/empty.mp4", "/down.mp4", "/loop-a"):
        assert fetch(1, server.url(path), sheet_dir, cache, CFG).status == "download_error"
    assert [f for f in cache.rglob("*") if f.is_file()] == []
    assert not (cache / "urls").exists()


def test_file_extension_is_kept_only_when_short_and_alphanumeric(
    server: CountingServer, sheet_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cases = {
        "/good.mp4?name=../../evil.sh": ".mp4",
        "/ext/watch?v=../../../etc/passwd": "",
        "/ext/a.toolong": "",
    }
    for path, ext in cases.items():
        result = fetch(1, server.url(path), sheet_dir, cache, CFG)
        assert result.status == "ok"
        assert result.path == cache / "videos" / sha(GOOD)[:2] / f"{sha(GOOD)}{ext}"
    assert_cache_clean(cache)


def test_local_paths_expand_home_and_refuse_folders_and_empty_files(
    sheet_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(sheet_dir))
    result = fetch(1, "~/clips/local.mp4", sheet_dir, tmp_path / "cache", CFG)
    assert (result.status, result.source, result.sha256) == ("ok", "local", sha(GOOD))

    folder = fetch(2, "clips", sheet_dir, tmp_path / "cache", CFG)
    assert folder.status == "download_error" and "is not a file" in folder.error

    (sheet_dir / "empty.mp4").write_bytes(b"")
    empty = fetch(3, "empty.mp4", sheet_dir, tmp_path / "cache", CFG)
    assert empty.status == "download_error" and "empty" in empty.error
    assert_cache_clean(tmp_path / "cache")


def test_fetch_without_a_session_and_config_from_omegaconf(
    server: CountingServer, sheet_dir: Path, tmp_path: Path
) -> None:
    given = {"connect_timeout": 1, "read_timeout": 1, "retries": 0, "backoff": 0, "max_bytes": 10_000,
             "max_redirects": 2, "workers": 2}
    node = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(FetchConfig), given))
    assert node == FetchConfig(1.0, 1.0, 0, 0.0, 10_000, 2, 2)
    result = fetch(1, server.url("/redirect"), sheet_dir, tmp_path / "cache", node)
    assert result == Fetched(1, server.url("/redirect"), result.path, sha(GOOD), "ok", "", "http", downloaded=True)

    with requests.Session() as session:
        assert fetch(2, server.url("/page.html"), sheet_dir, tmp_path / "cache", CFG, session).status == "ok"
    many = fetch_all([(1, server.url("/good.mp4")), (2, "ftp://x/y.mp4")], sheet_dir, tmp_path / "cache", node,
                     progress=False)
    assert [r.status for r in many] == ["ok", "invalid_url"]


def test_local_files_are_hard_linked_or_else_copied(
    sheet_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sheet_dir / "clips" / "local.mp4"
    linked = fetch(1, str(source), sheet_dir, tmp_path / "linked", CFG)
    assert linked.status == "ok" and linked.path is not None
    assert linked.path.stat().st_ino == source.stat().st_ino

    def no_links(src: object, dst: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("influencer_kit.acquire.download.os.link", no_links)
    copied = fetch(2, str(source), sheet_dir, tmp_path / "copied", CFG)
    assert copied.status == "ok" and copied.path is not None and copied.sha256 == sha(GOOD)
    assert copied.path.stat().st_ino != source.stat().st_ino
    assert copied.path.read_bytes() == GOOD
    assert_cache_clean(tmp_path / "copied")
