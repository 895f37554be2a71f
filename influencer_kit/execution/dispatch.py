"""Downloads and analysis as one stream: a video is looked up in the face cache as soon as its
download ends and, when new, sent to the executor while the other downloads go on. Downloads keep
their own concurrency (`fetch.workers` threads), analysis its own (the executor's `capacity`); the
videos between the two wait as paths in the download cache, so memory stays flat. Each result is
stored in the face cache as it comes (so a killed run resumes from there), and only its small
`VideoFaces` stays in memory. The same bytes in several rows are analysed once, whichever row's
download ends first; no model is loaded when every video is cached. The per-video task also makes
each new video's content fingerprint (creatives), stored in the fingerprint cache; a video whose
faces were cached before it had a fingerprint is fingerprinted here, in a thread beside the stream."""
from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from influencer_kit.acquire.download import FetchConfig
from influencer_kit.acquire.fetch import Downloads, Reference, for_every_row
from influencer_kit.creatives.cache import FingerprintCache
from influencer_kit.execution.task import FaceSettings, fingerprint_one
from influencer_kit.faces.cache import FaceCache
from influencer_kit.model import Fetched, Fingerprint, VideoFaces, VideoPictures
from influencer_kit.plugin.executors import Analyser, get_executor

log = logging.getLogger(__name__)


def check_executor(executor: Mapping[str, Any]) -> None:
    """Refuse, before any work, an executor that is not installed or cannot run here (Ray not
    installed, for one), and start what it may start early (`Executor.warm_up`)."""
    chosen = get_executor(str(executor["name"]))
    chosen.check(executor)
    chosen.warm_up(executor)


@dataclass
class Streamed:
    """What the stream produced: every row's download and every distinct video's faces (or why it
    could not be analysed), and the face cache they are stored in."""

    fetched: list[Fetched]
    analysed: dict[str, VideoFaces | str]
    cache: FaceCache
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)  # by sha256; empty when creatives are off
    cached: int = 0  # videos found in the face cache
    computed: list[str] = field(default_factory=list)  # sha256 of the videos analysed here, in order
    seconds: dict[str, float] = field(default_factory=dict)  # from the start to the last download ("download")
    # and to the last video's faces ("faces"): overlapping spans


def fetch_and_analyse(items: list[tuple[int, Any]], base_dir: Path, cache_root: Path,
                      fetch_cfg: FetchConfig, settings: FaceSettings, executor: Mapping[str, Any],
                      progress: bool = True) -> Streamed:
    """Download every (row, url) and analyse every distinct video, overlapping the two."""
    fingerprints = FingerprintCache(cache_root, settings.fingerprint) if settings.fingerprint is not None else None
    stream = _Stream(FaceCache(cache_root, settings.key_fields()), settings, executor, progress, fingerprints)
    downloads = Downloads(base_dir, cache_root, fetch_cfg)
    try:
        futures = downloads.start(items)
        firsts = stream.run(futures)
    finally:  # Ctrl-C included: no further download or video starts; what is stored stays
        downloads.close()
        stream.close()
    log.info("faces: %d video(s) cached, %d analysed", stream.result.cached, len(stream.result.computed))
    stream.result.fetched = for_every_row(items, firsts)
    return stream.result


class _Stream:
    """The loop that reacts to each download and each analysis as it ends (`run`)."""

    def __init__(self, cache: FaceCache, settings: FaceSettings, executor: Mapping[str, Any], progress: bool,
                 fingerprints: FingerprintCache | None = None) -> None:
        self.settings, self.executor = settings, executor
        self.result = Streamed([], {}, cache)
        self.events: queue.SimpleQueue = queue.SimpleQueue()  # (reference or sha256, future) as each ends
        self.seen: set[str] = set()  # every video (sha256) downloaded so far
        self.waiting: deque[tuple[str, Path]] = deque()  # new videos not sent yet
        self.in_flight: dict[Future, str] = {}
        self.analyser: Analyser | None = None  # started with the first video to analyse
        self.fingerprints = fingerprints  # None when creatives are off
        self.fingerprinting: dict[Future, str] = {}  # cached videos without a fingerprint, being fingerprinted
        self.catching_up: ThreadPoolExecutor | None = None  # started with the first of those
        self.downloading = tqdm(desc="downloading", unit="video", disable=not progress, position=0)
        self.analysing = tqdm(desc="analysing  ", unit="video", total=0, disable=not progress, position=1)

    def run(self, downloads: dict[Reference, Future[Fetched]]) -> dict[Reference, Fetched]:
        """Every reference's outcome, once every download and every new video's analysis ended."""
        self.downloading.reset(total=len(downloads))
        self.workers = max(1, min(int(self.executor["workers"]), len(downloads)))  # never more than videos
        for key, future in downloads.items():
            future.add_done_callback(lambda f, key=key: self.events.put((key, f)))
        firsts: dict[Reference, Fetched] = {}
        start = time.perf_counter()
        while len(firsts) < len(downloads) or self.waiting or self.in_flight or self.fingerprinting:
            key, future = self.events.get()
            if future in self.in_flight:
                self._analysed(self.in_flight.pop(future), future)
            elif future in self.fingerprinting:
                self._fingerprinted(self.fingerprinting.pop(future), future.result())
            else:
                firsts[key] = future.result()  # fetch never raises for a bad row
                self.downloading.update()
                self.result.seconds["download"] = time.perf_counter() - start
                self._downloaded(firsts[key])
            self._send()
            self.result.seconds["faces"] = time.perf_counter() - start
        return firsts

    def _downloaded(self, fetched: Fetched) -> None:
        """A new video (by its bytes) is taken from the face cache, or queued for analysis."""
        sha = fetched.sha256
        if not sha or sha in self.seen:
            return
        self.seen.add(sha)
        cached = self.result.cache.get(sha, frames=self.settings.keep_frames)
        if cached is not None:
            self.result.analysed[sha] = cached
            self.result.cached += 1
            self._fingerprint_cached(sha, fetched.path)
            return
        self.waiting.append((sha, fetched.path))
        self.analysing.total += 1
        self.analysing.refresh()

    def _send(self) -> None:
        """Send waiting videos while the executor has room."""
        while self.waiting and (self.analyser is None or len(self.in_flight) < self.analyser.capacity):
            if self.analyser is None:
                self.analyser = get_executor(str(self.executor["name"])).start(self.settings, self.executor,
                                                                               self.workers)
            sha, path = self.waiting.popleft()
            future = self.analyser.submit(path)
            self.in_flight[future] = sha
            future.add_done_callback(lambda f: self.events.put((None, f)))

    def _analysed(self, sha: str, future: Future) -> None:
        """Store a result in the face cache as it comes; keep only its `VideoFaces` (or its error)."""
        outcome = self.analyser.outcome(future)
        if isinstance(outcome, VideoPictures):
            self.result.analysed[sha] = self.result.cache.put(sha, outcome)
            self.result.computed.append(sha)
            self._fingerprinted(sha, outcome.fingerprint)
        else:
            self.result.analysed[sha] = outcome
        self.analysing.update()

    def _fingerprint_cached(self, sha: str, path: Path) -> None:
        """A video whose faces came from the face cache: its fingerprint from the fingerprint cache,
        or made in the catch-up thread (a face cache older than fingerprints)."""
        if self.fingerprints is None:
            return
        stored = self.fingerprints.get(sha)
        if stored is not None:
            self.result.fingerprints[sha] = stored
            return
        if self.catching_up is None:
            self.catching_up = ThreadPoolExecutor(1, thread_name_prefix="ik-fingerprint")
        future = self.catching_up.submit(fingerprint_one, str(path), self.settings.fingerprint)
        self.fingerprinting[future] = sha
        future.add_done_callback(lambda f: self.events.put((None, f)))

    def _fingerprinted(self, sha: str, fingerprint: Fingerprint | None) -> None:
        if fingerprint is not None and self.fingerprints is not None:
            self.fingerprints.put(sha, fingerprint)
            self.result.fingerprints[sha] = fingerprint

    def close(self) -> None:
        if self.catching_up is not None:
            self.catching_up.shutdown(wait=False, cancel_futures=True)
        if self.analyser is not None:
            self.analyser.close()
        self.downloading.close()
        self.analysing.close()
