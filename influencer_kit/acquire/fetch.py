"""Fetch one spreadsheet row's video reference, or every row's, into the content-addressed cache:
http(s) links go to the link rules (links.py: pages, Drive, direct downloads), `file://` URLs and
paths are stored from disk (download.py)."""
from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from tqdm import tqdm

from influencer_kit.acquire.download import ACCEPTED, FetchConfig, fetch_local, invalid_row
from influencer_kit.acquire.links import fetch_web
from influencer_kit.inputs.cells import resolve_path
from influencer_kit.model import Fetched


def fetch(
    row: int,
    url: Any,
    base_dir: Path,
    cache_dir: Path,
    cfg: FetchConfig,
    session: requests.Session | None = None,
) -> Fetched:
    """Resolve one video reference into the cache; never raises for a bad or unreachable URL."""
    given = url if isinstance(url, str) else ""
    text = given.strip()
    cache_dir = Path(cache_dir)
    if not text:
        return invalid_row(row, given, "", f"the video cell is empty or not text ({url!r}); expected {ACCEPTED}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            return invalid_row(row, given, "http", f"{text} has no host name; expected {ACCEPTED}")
        return fetch_web(row, given, text, cache_dir, cfg, session)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return invalid_row(row, given, "file", f"{text} names another host; only local file:// URLs are accepted")
        return fetch_local(row, given, resolve_path(url2pathname(parts.path), base_dir), "file", cache_dir)
    if len(scheme) > 1:  # a one-letter "scheme" is a Windows drive letter
        return invalid_row(row, given, "", f"{text} uses the unsupported scheme {scheme}:; expected {ACCEPTED}")
    return fetch_local(row, given, resolve_path(text, base_dir), "local", cache_dir)


Reference = object  # what identifies a video reference: its text, or (row,) for a cell that is not text


def reference(row: int, url: Any) -> Reference:
    """The same text in several rows is one reference, fetched once; a non-text cell stands alone."""
    return url if isinstance(url, str) else (row,)


class Downloads:
    """Downloads running in `cfg.workers` threads, one per distinct reference; `close` starts no
    further one (those under way end by their timeouts)."""

    def __init__(self, base_dir: Path, cache_dir: Path, cfg: FetchConfig) -> None:
        self.base_dir, self.cache_dir, self.cfg = base_dir, cache_dir, cfg
        self.sessions = _ThreadSessions()
        self.pool = ThreadPoolExecutor(max_workers=max(1, self.cfg.workers), thread_name_prefix="ik-download")

    def start(self, items: list[tuple[int, Any]]) -> dict[Reference, Future[Fetched]]:
        """Start fetching every distinct reference of (row, url), for its first row, in row order."""
        futures: dict[Reference, Future[Fetched]] = {}
        for row, url in items:
            key = reference(row, url)
            if key not in futures:
                futures[key] = self.pool.submit(self._one, row, url)
        return futures

    def _one(self, row: int, url: Any) -> Fetched:
        return fetch(row, url, self.base_dir, self.cache_dir, self.cfg, self.sessions.get())

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.sessions.close()


def for_every_row(items: list[tuple[int, Any]], firsts: Mapping[Reference, Fetched]) -> list[Fetched]:
    """Each row's outcome, in input order, from the outcome of its reference's first row (`downloaded`
    only for that row)."""
    out = []
    for row, url in items:
        first = firsts[reference(row, url)]
        out.append(replace(first, row=row, downloaded=first.downloaded and first.row == row))
    return out


def fetch_all(
    items: list[tuple[int, Any]],
    base_dir: Path,
    cache_dir: Path,
    cfg: FetchConfig,
    progress: bool = True,
) -> list[Fetched]:
    """Fetch every (row, url) with ``cfg.workers`` threads; results are in the input order.
    A URL given in several rows is fetched once, for its first row, and shared with the others."""
    downloads = Downloads(base_dir, cache_dir, cfg)
    try:
        futures = downloads.start(items)
        for _ in tqdm(as_completed(futures.values()), total=len(futures), desc="downloading", unit="video",
                      disable=not progress):
            pass
        return for_every_row(items, {key: future.result() for key, future in futures.items()})
    finally:  # Ctrl-C included: start no further download
        downloads.close()


class _ThreadSessions:
    """One requests.Session per worker thread (sessions are not thread-safe), closed together."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        """This thread's session, created on first use."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._all.append(session)
        return session

    def close(self) -> None:
        """Close every session handed out."""
        for session in self._all:
            session.close()
