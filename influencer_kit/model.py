"""The run's records, defined once: every stage imports them from here and none defines its own.
The data's way: `Sheet` (its `InputRow`s) -> `Fetched` -> `VideoFaces` (its `FaceRecord`s, each a
detector's `Face`) and `Fingerprint` -> `Appearance` (one person in one video) -> `Result`; `Status`
is a row's outcome."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # a type only: the face cache is the faces stage's
    from influencer_kit.faces.cache import FaceCache


class Status(StrEnum):
    """What became of an input row (ProcessedVideos' `status`)."""

    OK = "ok"
    NO_FACE = "no_face"
    DOWNLOAD_ERROR = "download_error"
    DECODE_ERROR = "decode_error"
    INVALID_URL = "invalid_url"
    INVALID_PERFORMANCE = "invalid_performance"


UNANALYSED = (Status.DOWNLOAD_ERROR, Status.DECODE_ERROR, Status.INVALID_URL)  # no video to look at


@dataclass
class InputRow:
    row: int  # 1-based data row
    url: str
    performance: float | None  # None when blank or not a number
    performance_error: str
    label: str  # ground truth from data.label_column, else ""


@dataclass(frozen=True)
class Reading:
    """Every choice the reader made in taking the spreadsheet, each with how it was made: printed
    when a run starts, logged to MLflow (`input.*` params) and shown in the report."""

    sheet: str  # the workbook's sheet; "" for a CSV
    sheet_how: str
    header_row: int  # the header's row in the file, counted from 1
    header_how: str
    url_column: str
    url_how: str
    performance_column: str
    performance_how: str
    decimal: str  # the performance column's decimal mark: "." or ","
    decimal_how: str
    separator: str  # a CSV's field separator (",", ";", "tab"); "" for a workbook
    separator_how: str

    def choices(self) -> list[tuple[str, str, str]]:
        """(what, the choice, how it was made), in reading order."""
        found = [("sheet", repr(self.sheet), self.sheet_how)] if self.sheet else [
            ("separator", repr(self.separator), self.separator_how)]
        above = {1: "", 2: "; row 1 above it skipped"}.get(
            self.header_row, f"; rows 1-{self.header_row - 1} above it skipped")
        return found + [
            ("header", f"row {self.header_row}", self.header_how + above),
            ("URL column", repr(self.url_column), self.url_how),
            ("performance column", repr(self.performance_column), self.performance_how),
            ("decimal mark", repr(self.decimal), self.decimal_how),
        ]

    def describe(self) -> str:
        """The choices in one line."""
        return ", ".join(f"{what} {choice} ({how})" for what, choice, how in self.choices())

    def params(self) -> dict[str, str]:
        """The choices as MLflow params."""
        where = {"input.sheet": self.sheet} if self.sheet else {"input.separator": self.separator}
        return {**where, "input.header_row": str(self.header_row), "input.url_column": self.url_column,
                "input.performance_column": self.performance_column, "input.decimal": self.decimal}


@dataclass
class Sheet:
    path: Path
    table: pd.DataFrame  # the input exactly as read from its header down, every column kept
    rows: list[InputRow]
    reading: Reading  # which sheet, header row and columns were taken, and how

    @property
    def url_column(self) -> str:
        return self.reading.url_column

    @property
    def performance_column(self) -> str:
        return self.reading.performance_column


@dataclass
class Fetched:
    """The outcome of fetching one spreadsheet row's video reference."""

    row: int  # 1-based data row, passed through
    url: str  # as given ("" when the cell was not text)
    path: Path | None  # the cached file, or None on failure
    sha256: str | None
    status: Status  # OK, DOWNLOAD_ERROR or INVALID_URL
    error: str  # empty when ok, else a sentence naming the URL and what went wrong
    source: str  # rule that resolved it: "http", "google_drive", "yt-dlp" (sources.py), "file", "local" or ""
    downloaded: bool = False  # True if bytes came over the network in this call


Point = tuple[float, float]  # x, y in pixels


@dataclass
class Face:
    """A face found in a frame: box in pixels of the full frame, the detector's confidence and,
    when the detector gives them, five landmarks in the same pixels: the eye on the image's left,
    the eye on its right, the nose tip, the mouth corner on the left, the one on the right."""

    box: tuple[int, int, int, int]  # x, y, width, height
    confidence: float
    landmarks: tuple[Point, Point, Point, Point, Point] | None = None

    @staticmethod
    def named_landmarks(points: dict | None, names: tuple[str, str, str, str, str]) -> tuple | None:
        """`landmarks` from a detector's points by name (`names`: its names of the five points, in
        `landmarks`' order), or None when it gave none."""
        return tuple((float(points[name][0]), float(points[name][1])) for name in names) if points else None

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]



@dataclass(kw_only=True)
class FaceRecord(Face):
    """A face the faces stage kept: the detector's `Face`, the frame it is in and its face track
    (faces of one track, followed from frame to frame, are one person). Its picture is a file
    (`VideoFaces.crop_file`), never held in memory."""

    frame_index: int
    track: int = 0
    quality: float = 0.0  # how good a picture of its person it is (`faces.quality.face_quality`)
    embedded: bool = False  # embedded itself; else it carries its track's embedding nearest in time


@dataclass
class VideoFaces:
    """Everything the per-video stage learns about one video that ranking and the tables need:
    small, so a run holds one per video however long the spreadsheet. Its pictures (the sampled
    frames, a crop of each face) are files in `images`, its face-cache entry."""

    frame_indices: list[int]
    faces: list[FaceRecord] = field(default_factory=list)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    false_faces: int = 0  # detections dropped as no person (`people_only`): not in `faces`
    images: Path | None = None  # the folder of its JPEGs; None until the face cache stores them

    def frame_file(self, index: int) -> Path:
        """The JPEG of sampled frame `index` (a frame number in `frame_indices`)."""
        return self._folder() / f"frame_{index:06d}.jpg"

    def crop_file(self, i: int) -> Path:
        """The JPEG of face `i` (an index into `faces`), with a margin around it."""
        return self._folder() / f"face_{i:03d}.jpg"

    def crop_jpeg(self, i: int) -> bytes:
        return self.crop_file(i).read_bytes()

    def _folder(self) -> Path:
        if self.images is None:
            raise ValueError("this video's pictures are not stored yet (FaceCache.put stores them)")
        return self.images


@dataclass
class Fingerprint:
    """A video's content fingerprint (creatives/fingerprint.py): the times of its sampled frames
    (seconds, ascending) and each frame's perceptual hash as shown and mirrored."""

    times: np.ndarray  # float32, (n,)
    hashes: np.ndarray  # uint64, (n, 2): [:, 0] the frame as shown, [:, 1] mirrored

    def __len__(self) -> int:
        return len(self.times)


@dataclass
class VideoPictures:
    """The JPEGs the per-video task made of one video, on their way to the face cache, which
    writes them to disk and keeps only the `VideoFaces`."""

    found: VideoFaces
    frames_jpeg: list[bytes]  # one per `found.frame_indices`
    crops_jpeg: list[bytes]  # one per `found.faces`
    fingerprint: Fingerprint | None = None  # the video's content fingerprint, when creatives are grouped


@dataclass
class Appearance:
    """One person inside one video."""

    video: str  # sha256 of the video
    face_ids: list[int]  # indices into that video's faces
    embedding: np.ndarray  # mean embedding of those faces
    detections: int
    area: int  # total face area, pixels
    frames: frozenset[int] = frozenset()  # the video's frame numbers the person is seen in
    person: str = ""  # influencer id, set by `identify` (or by the registry of known people)
    name: str = ""  # the person's display name, from the registry
    ignored: bool = False  # marked "not an influencer" in the registry: never a video's main person

    @property
    def presence(self) -> tuple[int, int]:
        """How much this person is in the video: detections first, then face area."""
        return self.detections, self.area


@dataclass
class RegistrySummary:
    """What the registry did in one run (logged to MLflow)."""

    path: str  # the registry file, or its postgresql:// URI without a password
    matched_people: int = 0  # known people seen again
    new_people: int = 0
    matched_appearances: int = 0
    ambiguous_appearances: int = 0  # near a known person, but not clearly nearer than the next
    corrections_new: list[str] = field(default_factory=list)  # in effect in a run for the first time
    corrections_total: int = 0

    def metrics(self) -> dict[str, float]:
        return {"registry_people_matched": self.matched_people, "registry_people_new": self.new_people,
                "registry_appearances_matched": self.matched_appearances,
                "registry_appearances_ambiguous": self.ambiguous_appearances,
                "registry_corrections": self.corrections_total,
                "registry_corrections_new": len(self.corrections_new)}

    def note(self) -> str:
        """The registry used, then the corrections this run was the first to apply, one per line."""
        applied = self.corrections_new or [f"no new corrections ({self.corrections_total} in effect)"]
        return "\n".join([f"registry {self.path}", *applied])


@dataclass
class Result:
    """What a run produced: the three tables, the people, and how it went."""

    sheet: Sheet
    videos: pd.DataFrame  # ProcessedVideos, one row per input row
    metrics: pd.DataFrame  # PerformanceMetrics, one row per influencer
    ranked: pd.DataFrame  # Ranked_Influencers, best first
    unranked: pd.DataFrame  # influencers below ranking.min_videos
    appearances: list[Appearance]
    faces: dict[str, VideoFaces]
    cache: FaceCache
    output_dir: Path
    timings: dict[str, float] = field(default_factory=dict)
    registry: RegistrySummary | None = None  # what the registry of known people did; None when off
