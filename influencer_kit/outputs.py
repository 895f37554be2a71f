"""Files for people: the three tables (xlsx and csv, written atomically), the face folders."""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook

from influencer_kit.atomic import write_atomic

if TYPE_CHECKING:
    from influencer_kit.pipeline import Result

FORMULA_START = ("=", "+", "-", "@")
TABLES = {
    "ProcessedVideos_videos": "videos",
    "PerformanceMetrics_videos": "metrics",
    "Ranked_Influencers": "ranked",
}


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe in the CSV."""
    return table.map(lambda v: "'" + v if is_formula_like(v) else v)


def xlsx_bytes(table: pd.DataFrame, sheet_name: str) -> bytes:
    """The table as an xlsx workbook; formula-like text is stored as text, never as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name[:31]
    sheet.append([str(c) for c in table.columns])
    for values in table.itertuples(index=False):
        sheet.append([None if _is_missing(v) else v for v in values])
        for cell in sheet[sheet.max_row]:
            if is_formula_like(cell.value):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def write_table(table: pd.DataFrame, out: Path, name: str) -> None:
    """`<name>.xlsx` and `<name>.csv`, each replaced in one step."""
    write_atomic(out / f"{name}.xlsx", xlsx_bytes(table, name))
    write_atomic(out / f"{name}.csv", csv_safe(table).to_csv(index=False).encode())


def safe_name(text: str) -> str:
    """A file or folder name that cannot leave its parent folder."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")
    return name or "unnamed"


def write_face_folders(result: "Result", out: Path) -> dict[str, str]:
    """Frames, per-video faces and per-influencer faces; returns each influencer's representative
    face (their largest, most confident crop) relative to the output folder."""
    frames_dir, faces_dir, clusters_dir = (out / n for n in
                                           ("extracted_frames_videos", "detected_faces_videos", "face_clusters"))
    for folder in (frames_dir, faces_dir, clusters_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    first_row = result.videos.drop_duplicates("video_sha256").set_index("video_sha256")["row"].to_dict()
    for sha, vf in result.faces.items():
        tag = f"row{int(first_row[sha]):04d}"
        for index, jpeg in zip(vf.frame_indices, vf.frames_jpeg):
            (frames_dir / f"{tag}_frame{index:06d}.jpg").write_bytes(jpeg)
        for i, face in enumerate(vf.faces):
            (faces_dir / f"{tag}_frame{face.frame_index:06d}_face{i:02d}.jpg").write_bytes(face.crop_jpeg)
    best: dict[str, tuple[float, str]] = {}
    for appearance in result.appearances:
        vf = result.faces[appearance.video]
        person_dir = clusters_dir / safe_name(appearance.person)
        person_dir.mkdir(exist_ok=True)
        tag = f"row{int(first_row[appearance.video]):04d}"
        for i in appearance.face_ids:
            face = vf.faces[i]
            path = person_dir / f"{tag}_frame{face.frame_index:06d}_face{i:02d}.jpg"
            path.write_bytes(face.crop_jpeg)
            quality = face.area * face.confidence
            if quality > best.get(appearance.person, (-1.0, ""))[0]:
                best[appearance.person] = (quality, path.relative_to(out).as_posix())
    return {person: rel for person, (_, rel) in best.items()}


def write_outputs(result: "Result", cfg) -> None:
    """Everything the contract promises in `output.dir`."""
    out = result.output_dir
    out.mkdir(parents=True, exist_ok=True)
    representative = write_face_folders(result, out)
    result.metrics["representative_face"] = result.metrics["influencer"].map(representative).fillna("")
    for name, attribute in TABLES.items():
        write_table(getattr(result, attribute), out, name)
