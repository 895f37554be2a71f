"""The output folders: the sampled frames (`extracted_frames_videos/`), the faces
(`detected_faces_videos/`) and each person's faces (`face_clusters/<influencer>/`), named by the
first row of their video so that a file tells where it comes from. The pictures are files in the
face cache (each video's as it was analysed); they are placed here, never read into memory.
`output.frames` and `output.faces` say which are kept (`write_face_folders`)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd

from influencer_kit.model import Appearance, FaceRecord, Result, VideoFaces
from influencer_kit.people.grouping import best_face

FRAMES, FACES, CLUSTERS = "extracted_frames_videos", "detected_faces_videos", "face_clusters"


def safe_name(text: str) -> str:
    """A file or folder name that cannot leave its parent folder."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")
    return name or "unnamed"


def first_rows(videos) -> dict[str, int]:
    """Each video's (sha256) first row in ProcessedVideos."""
    first = videos.loc[videos["video_sha256"].fillna("") != ""].drop_duplicates("video_sha256")
    return {sha: int(row) for sha, row in zip(first["video_sha256"], first["row"])}


def face_file(row: int, face: FaceRecord, index: int) -> str:
    """A face's file name: its video's first row, its frame and its index in the video."""
    return f"row{row:04d}_frame{face.frame_index:06d}_face{index:02d}.jpg"


def cluster_face_path(person: str, row: int, face: FaceRecord, index: int) -> str:
    """Where a person's face is written, relative to the output folder."""
    return f"{CLUSTERS}/{safe_name(person)}/{face_file(row, face, index)}"


def representative_paths(representatives: dict[str, Appearance], faces: dict[str, VideoFaces],
                         first_row: dict[str, int]) -> dict[str, str]:
    """Each person's representative face (`people.grouping.representative_faces`) as the path of its
    file in `face_clusters/`, relative to the output folder."""
    paths = {}
    for person, appearance in representatives.items():
        video = faces[appearance.video]
        index = best_face(appearance, video)
        paths[person] = cluster_face_path(person, first_row[appearance.video], video.faces[index], index)
    return paths


KEEP = ("all", "influencer", "none")  # output.frames and output.faces


def write_face_folders(result: Result, out: Path, frames: str = "all", faces: str = "all") -> None:
    """Frames, per-video faces and per-person faces, each folder replaced whole, the files taken
    from the face cache one by one (linked when it is on the same disk). `frames`: every sampled
    frame (`all`), those showing the video's influencer (`influencer`) or none. `faces`: every
    face (`all`), those of each video's influencer (`influencer`), or none; `face_clusters/` always
    holds each person's representative face, which the tables and the report show."""
    frames_dir, faces_dir, clusters_dir = (out / name for name in (FRAMES, FACES, CLUSTERS))
    for folder in (frames_dir, faces_dir, clusters_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    first_row = first_rows(result.videos)
    main = main_appearances(result)
    main_ids = {id(a) for found in main.values() for a in found}
    for sha, video in result.faces.items():
        tag = f"row{first_row[sha]:04d}"
        main_faces = {i for a in main.get(sha, []) for i in a.face_ids}
        shown = {video.faces[i].frame_index for i in main_faces}
        for index in video.frame_indices:
            if frames == "all" or (frames == "influencer" and index in shown):
                place(video.frame_file(index), frames_dir / f"{tag}_frame{index:06d}.jpg")
        for i, face in enumerate(video.faces):
            if faces == "all" or (faces == "influencer" and i in main_faces):
                place(video.crop_file(i), faces_dir / face_file(first_row[sha], face, i))
    representative = set(result.metrics.get("representative_face", pd.Series(dtype=object)).dropna())
    for appearance in result.appearances:
        video = result.faces[appearance.video]
        for i in appearance.face_ids:
            path = cluster_face_path(appearance.person, first_row[appearance.video], video.faces[i], i)
            if faces == "all" or path in representative or (faces == "influencer" and id(appearance) in main_ids):
                (out / path).parent.mkdir(exist_ok=True)
                place(video.crop_file(i), out / path)


def main_appearances(result: Result) -> dict[str, list[Appearance]]:
    """Per video (sha256), the appearances of its influencer (the `influencer` of its rows)."""
    influencer = dict(zip(result.videos["video_sha256"], result.videos["influencer"]))
    main: dict[str, list[Appearance]] = {}
    for appearance in result.appearances:
        if appearance.person and influencer.get(appearance.video) == appearance.person:
            main.setdefault(appearance.video, []).append(appearance)
    return main


def place(source: Path, target: Path) -> None:
    """`target` with the bytes of `source`: a hard link when both are on one disk, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
