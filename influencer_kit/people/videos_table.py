"""From people to influencers: the ProcessedVideos table, one row per input row, none dropped."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from influencer_kit.acquire.links import is_web_page
from influencer_kit.faces.frames import codec_not_decoded
from influencer_kit.model import Appearance, Fetched, Sheet, Status, VideoFaces

CONTRACT_COLUMNS = ["row", "status", "error", "video_sha256", "duplicate_of", "frames_sampled",
                    "faces_detected", "influencer", "influencers"]
EXTRA_COLUMNS = ["name", "source", "counted", "influencer_faces", "false_faces", "creative", "variant_of"]


def people_in_video(appearances: list[Appearance]) -> list[tuple[str, int, int]]:
    """(person, detections, area) per person of one video, most present first. A person split into
    two groups inside the video but joined across videos counts once, with both groups' faces."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in appearances:
        totals[a.person][0] += a.detections
        totals[a.person][1] += a.area
    return sorted(((p, d, area) for p, (d, area) in totals.items()), key=lambda t: (t[1], t[2]), reverse=True)


def build_videos_table(sheet: Sheet, fetched: list[Fetched], analysed: dict[str, VideoFaces | str],
                       appearances: list[Appearance], creative_of: dict[str, str]) -> pd.DataFrame:
    """Every input column unchanged, then the contract's columns, then `name` (the influencer's
    display name from the registry, or empty), `source` (which rule fetched the video), `counted`
    (whether the row's performance counts toward its influencer's statistics), `influencer_faces`
    (detections of the main person) and `false_faces` (detections dropped as no person:
    `faces.people_only`), `creative` (its video's creative id, `creative_of` by sha256) and
    `variant_of` (the first row of that creative, on every later row of it; repeats of the same
    bytes included). A video's main person is never one marked not an influencer in the registry.
    A video's performance counts once, at its first row with a valid score; repeats of its bytes
    are not counted again."""
    by_video: dict[str, list[Appearance]] = defaultdict(list)
    for a in appearances:
        by_video[a.video].append(a)
    first_row: dict[str, int] = {}
    creative_first: dict[str, int] = {}
    counted_videos: set[str] = set()
    records = []
    for row, got in zip(sheet.rows, fetched):
        record = {"row": row.row, "status": got.status, "error": got.error, "video_sha256": got.sha256 or "",
                  "duplicate_of": "", "frames_sampled": 0, "faces_detected": 0, "influencer": "",
                  "influencers": "", "name": "", "source": got.source, "counted": False, "influencer_faces": 0,
                  "false_faces": 0, "creative": "", "variant_of": ""}
        if got.sha256:
            duplicate = got.sha256 in first_row
            first = first_row.setdefault(got.sha256, row.row)
            record["duplicate_of"] = first if duplicate else ""
            record["creative"] = creative_of[got.sha256]
            creative_first_row = creative_first.setdefault(record["creative"], row.row)
            record["variant_of"] = creative_first_row if creative_first_row != row.row else ""
            fill_from_faces(record, row.url, got.path, analysed[got.sha256], by_video[got.sha256],
                            row.performance_error)
            record["counted"] = record["status"] == Status.OK and got.sha256 not in counted_videos
            if record["counted"]:
                counted_videos.add(got.sha256)
        if record["status"] not in (Status.OK, Status.INVALID_PERFORMANCE) and row.performance_error:
            record["error"] += f"; also, {row.performance_error}"
        records.append(record)
    extra = pd.DataFrame.from_records(records, columns=CONTRACT_COLUMNS + EXTRA_COLUMNS)
    return pd.concat([sheet.table.reset_index(drop=True), extra], axis=1)


def fill_from_faces(record: dict, url: str, path: Path | None, result: VideoFaces | str,
                    appearances: list[Appearance], performance_error: str) -> None:
    """Status, counts and people of a row whose video was fetched."""
    if isinstance(result, str):
        record.update(status=Status.DECODE_ERROR, error=undecodable(url, path, result))
        return
    record.update(frames_sampled=len(result.frame_indices), faces_detected=len(result.faces),
                  false_faces=result.false_faces)
    people = people_in_video(appearances)
    if not people:
        record.update(status=Status.NO_FACE, error=f"no face found in {len(result.frame_indices)} sampled frames")
        return
    record["influencers"] = ";".join(p for p, _, _ in people)
    ignored = {a.person for a in appearances if a.ignored}
    main = next((p for p in people if p[0] not in ignored), None)
    if main is None:
        record.update(status=Status.NO_FACE,
                      error=f"only people marked not an influencer were seen: {record['influencers']}")
        return
    name = next(a.name for a in appearances if a.person == main[0])
    record.update(influencer=main[0], name=name, influencer_faces=main[1])
    if performance_error:
        record.update(status=Status.INVALID_PERFORMANCE,
                      error=f"{performance_error}; the row is left out of {main[0]}'s statistics")


def undecodable(url: str, path: Path | None, reason: str) -> str:
    """Why the fetched file of `url` is not a video, in words that say what to do about it."""
    if path is None:
        return f"{url}: not a playable video ({reason})"
    try:
        size, page = path.stat().st_size, is_web_page(path)
    except OSError:
        return f"{url}: not a playable video ({reason})"
    if page:
        return (f"{url}: got a web page ({size} bytes of HTML), not a video, often a login, consent or "
                f"error page; check that the link opens the video file itself")
    codec = codec_not_decoded(path)
    if codec:
        return (f"{url}: its video is {codec}, which FFmpeg here cannot decode; re-encode it as "
                f"H.264 (ffmpeg -i VIDEO -c:v libx264 VIDEO.mp4) and give that file")
    return f"{url}: the {size}-byte file is not a playable video ({reason}); it may be cut off or not a video"


def with_names(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The table with `name` (each influencer's display name, or empty) right after `influencer`."""
    table = table.copy()
    table.insert(table.columns.get_loc("influencer") + 1, "name", table["influencer"].map(names).fillna(""))
    return table


def with_faces_and_closeness(metrics: pd.DataFrame, faces: dict[str, str], closeness: pd.DataFrame) -> pd.DataFrame:
    """PerformanceMetrics with each influencer's `representative_face` (its path in the output
    folder), then how close they are to others (`face_spread`, `nearest_influencer`, `nearest_distance`)."""
    table = metrics.copy()
    table.insert(table.columns.get_loc("face_count") + 1, "representative_face",
                 metrics["influencer"].map(faces).fillna("").to_numpy())
    return table.merge(closeness, on="influencer", how="left")


def ranking_input(sheet: Sheet, videos: pd.DataFrame, performance: list[float | None] | None = None) -> pd.DataFrame:
    """What the ranking stage needs per row: influencer, creative, parsed performance (or, when
    given, the row's value in `performance`, e.g. normalised), counted, faces."""
    return pd.DataFrame({
        "influencer": videos["influencer"],
        "creative": videos["creative"],
        "performance": [r.performance for r in sheet.rows] if performance is None else performance,
        "counted": videos["counted"],
        "faces": videos["influencer_faces"],
    })
