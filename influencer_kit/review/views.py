"""What the review app's pages show, gathered from the registry and the run's tables: plain
records the templates lay out."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from influencer_kit.registry.corrections import confirmed
from influencer_kit.registry.store import Person, ReferenceFace, Registry
from influencer_kit.review.run_folder import RunFolder
from influencer_kit.errors import InputError, RegistryError
from influencer_kit.inputs.columns import find_column

SORTS = {  # sort key -> (what a person card is sorted by, reversed?)
    "rank": (lambda c: (c.rank is None, c.rank or 0, c.number), False),
    "id": (lambda c: c.number, False),
    "name": (lambda c: (not c.name, c.name.lower(), c.number), False),
    "videos": (lambda c: (-c.videos, c.number), False),
    "performance": (lambda c: (c.mean is None, -(c.mean or 0.0), c.number), False),
    "tightness": (lambda c: (c.spread is None, c.spread or 0.0, c.number), False),
}
FILTERS = {
    "all": lambda c: True,
    "unnamed": lambda c: not c.name,
    "ignored": lambda c: c.ignored,
    "close": lambda c: c.close_calls > 0,
}


def _number(value: object) -> float | None:
    """A table cell as a number, None when blank or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass
class PersonCard:
    """One person in the people grid."""

    id: str
    number: int
    name: str
    ignored: bool
    face: int | None  # the representative face's id
    faces: int
    videos: int
    mean: float | None = None  # mean performance in the run
    rank: int | None = None
    spread: float | None = None  # face_spread: how tight their faces are (lower is tighter)
    close_calls: int = 0  # rows of theirs the run flagged, not yet confirmed


def representative(faces: list[ReferenceFace]) -> int | None:
    """The face that stands for a person: their largest."""
    return max(faces, key=lambda f: (f.box[2] * f.box[3], -f.id)).id if faces else None


def close_call_rows(run: RunFolder | None, registry: Registry) -> pd.DataFrame:
    """The run's rows flagged as close calls whose influencer has not been confirmed since."""
    if run is None or "close_call" not in run.videos.columns:
        return pd.DataFrame()
    videos = run.videos
    flagged = videos[videos["close_call"].astype(str).str.lower().isin(["true", "1"])]
    done, now = confirmed(registry), current_ids(registry)
    keep = [(now.get(p, p), v) not in done for p, v in zip(flagged["influencer"], flagged["video_sha256"])]
    return flagged[keep]


def current_ids(registry: Registry) -> dict[str, str]:
    """Every id ever given out -> the person it stands for now (after merges)."""
    people = {p.id: p.merged_into for p in registry.people(merged=True)}

    def follow(pid: str) -> str:
        return follow(people[pid]) if people[pid] else pid
    return {pid: follow(pid) for pid in people}


def people_cards(registry: Registry, run: RunFolder | None) -> list[PersonCard]:
    """Every person (not merged away), with the run's numbers where the run has them."""
    by_person: dict[str, list[ReferenceFace]] = {}
    for face in registry.faces():
        by_person.setdefault(face.person, []).append(face)
    cards = []
    for p in registry.people():
        own = by_person.get(p.id, [])
        cards.append(PersonCard(p.id, p.number, p.name, p.ignored, representative(own), len(own),
                                len({f.video for f in own})))
    if run is not None:
        add_run_numbers(cards, registry, run)
    return cards


def add_run_numbers(cards: list[PersonCard], registry: Registry, run: RunFolder) -> None:
    metrics = run.metrics.set_index("influencer")
    ranks = dict(zip(run.ranked["influencer"], run.ranked["rank"]))
    flagged = close_call_rows(run, registry)
    calls = flagged["influencer"].value_counts() if len(flagged) else {}
    for card in cards:
        if card.id in metrics.index:
            row = metrics.loc[card.id]
            card.mean = _number(row["mean_performance"])
            card.spread = _number(row["face_spread"]) if "face_spread" in row else None
        rank = _number(ranks.get(card.id))
        card.rank = int(rank) if rank is not None else None
        card.close_calls = int(calls.get(card.id, 0))


def shown_cards(cards: list[PersonCard], sort: str, show: str) -> list[PersonCard]:
    key, reverse = SORTS.get(sort, SORTS["rank"])
    return sorted(filter(FILTERS.get(show, FILTERS["all"]), cards), key=key, reverse=reverse)


@dataclass
class VideoGroup:
    """A person's faces from one video, with the run's rows of that video."""

    video: str
    faces: list[ReferenceFace]
    rows: list[dict] = field(default_factory=list)  # row, performance, link, role ("influencer" / "appears")


@dataclass
class PersonPage:
    person: Person
    card: PersonCard
    groups: list[VideoGroup]
    influencer_rows: list[dict]
    appearing_rows: list[dict]


def row_record(row: pd.Series, link: str | None, performance_column: str | None, pid: str) -> dict:
    return {
        "row": row["row"], "url": link or "",
        "performance": row.get(performance_column, "") if performance_column else "",
        "status": row["status"], "role": "influencer" if row["influencer"] == pid else "appears",
        "close_call": str(row.get("close_call", "")).lower() in ("true", "1"),
        "reason": row.get("close_call_reason", ""), "video": row["video_sha256"],
    }


def person_page(registry: Registry, run: RunFolder | None, pid: str) -> PersonPage:
    """Everything the person page shows; raises `RegistryError` for an unknown id."""
    person = registry.person(pid)
    card = next(c for c in people_cards(registry, run) if c.id == person.id)
    own = registry.faces(person.id)
    groups: dict[str, VideoGroup] = {}
    for face in own:
        groups.setdefault(face.video, VideoGroup(face.video, [])).faces.append(face)
    influencer_rows, appearing_rows = [], []
    if run is not None:
        videos = run.videos
        links, performance = run.video_links(), performance_column(run)
        now = current_ids(registry)
        current = [now.get(p, p) for p in videos["influencer"]]
        everyone = [{now.get(p, p) for p in str(cell).split(";") if p} for cell in videos["influencers"]]
        for (_, row), link, main, seen in zip(videos.iterrows(), links, current, everyone):
            if person.id not in seen and main != person.id:
                continue
            record = row_record(row, link, performance, person.id if main == person.id else "")
            (influencer_rows if main == person.id else appearing_rows).append(record)
            if row["video_sha256"] in groups:
                groups[row["video_sha256"]].rows.append(record)
    return PersonPage(person, card, list(groups.values()), influencer_rows, appearing_rows)


def performance_column(run: RunFolder) -> str | None:
    """The input's performance column, matched as the run matched it; None when not found."""
    cfg = run.config
    given = cfg.data.performance_column if cfg is not None else None
    try:
        return find_column(list(run.videos.columns), "performance", given, "performance")
    except InputError:
        return None


CREATIVES_SHOWN = 300  # creatives listed on the Creatives page, those of several videos first


@dataclass
class CreativeGroup:
    """One creative of the run: its rows, variants of one footage, shown together."""

    id: str
    rows: list[dict]  # row, url, performance, influencer, variant_of, video (sha256)

    @property
    def videos(self) -> list[str]:
        """Its distinct videos (sha256), first row first."""
        return list(dict.fromkeys(r["video"] for r in self.rows))


def creative_groups(run: RunFolder | None) -> list[CreativeGroup]:
    """The run's creatives in order of first row, those of several videos first (the ones to check)."""
    if run is None or "creative" not in run.videos.columns:
        return []
    videos = run.videos
    links, performance = run.video_links(), performance_column(run)
    groups: dict[str, CreativeGroup] = {}
    for (_, row), link in zip(videos.iterrows(), links):
        if row["creative"]:
            groups.setdefault(row["creative"], CreativeGroup(row["creative"], [])).rows.append({
                "row": row["row"], "url": link or "", "video": row["video_sha256"], "influencer": row["influencer"],
                "performance": row.get(performance, "") if performance else "", "variant_of": row["variant_of"],
            })
    return sorted(groups.values(), key=lambda g: len(g.videos) < 2)


def find_creative(run: RunFolder | None, creative: str) -> CreativeGroup:
    """The run's creative of that id; a `RegistryError` saying why there is none."""
    if run is None:
        raise RegistryError("no run is shown: start the app with --run OUTPUT_DIR to correct its creatives")
    found = next((g for g in creative_groups(run) if g.id == creative), None)
    if found is None:
        raise RegistryError(f"the run has no creative {creative!r}; its ids look like creative_0007")
    return found
