"""Fetch one spreadsheet row's video reference, or every row's, into the content-addressed cache:
http(s) links go to the link rules (links.py: pages, Drive, direct downloads), `file://` URLs and
paths are stored from disk (download.py)."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from tqdm import tqdm

from influencer_kit.acquire.download import ACCEPTED, FetchConfig, fetch_local, invalid_row, resolve_path
from influencer_kit.acquire.links import fetch_web
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


def fetch_all(
    items: list[tuple[int, str]],
    base_dir: Path,
    cache_dir: Path,
    cfg: FetchConfig,
    progress: bool = True,
) -> list[Fetched]:
    """Fetch every (row, url) with ``cfg.workers`` threads; results are in the input order.
    A URL given in several rows is fetched once, for its first row, and shared with the others."""
    sessions = _ThreadSessions()
    keys = [url if isinstance(url, str) else (row,) for row, url in items]  # a non-text cell stands alone

    def one(row: int, url: str) -> Fetched:
        return fetch(row, url, base_dir, cache_dir, cfg, sessions.get())

    try:
        with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
            futures: dict[object, Future[Fetched]] = {}
            for key, (row, url) in zip(keys, items):
                if key not in futures:
                    futures[key] = pool.submit(one, row, url)
            done = as_completed(futures.values())
            try:
                for _ in tqdm(done, total=len(futures), desc="downloading", unit="video", disable=not progress):
                    pass
            except BaseException:  # Ctrl-C: start no further download; those under way end by their timeouts
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            firsts = [futures[key].result() for key in keys]
            return [replace(first, row=row, downloaded=first.downloaded and first.row == row)
                    for first, (row, _) in zip(firsts, items)]
    finally:
        sessions.close()


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
