"""What a link-source plugin hands the core: a rule that downloads one kind of video link."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from influencer_kit.model import Fetched


@dataclass(frozen=True)
class LinkRequest:
    """One http(s) video cell to fetch into the cache."""

    row: int  # the input row, 1-based
    url: str  # the cell as given
    text: str  # the cell stripped: the link itself
    cache_dir: Path  # the content-addressed cache (`influencer_kit.acquire.download` stores into it)
    cfg: Any  # the `fetch` settings (`influencer_kit.acquire.download.FetchConfig`): limits to obey
    session: Any = None  # this thread's requests.Session, or None


@dataclass(frozen=True)
class LinkSource:
    """A rule for video links (`source` in ProcessedVideos is its name). The first source whose
    `claims(link)` is true fetches the link with `fetch(request)`, which returns the row's
    `Fetched` (a failed one says why) and never raises for a bad or unreachable link. `examples`
    are links it claims (the conformance check asks)."""

    name: str
    claims: Callable[[str], bool]
    fetch: Callable[[LinkRequest], Fetched]
    examples: tuple[str, ...] = ()
