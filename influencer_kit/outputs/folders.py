"""The output folders: every sampled frame (`extracted_frames_videos/`), every face
(`detected_faces_videos/`) and each person's faces (`face_clusters/<influencer>/`), named by the
first row of their video so that a file tells where it comes from."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

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


def write_face_folders(result: Result, out: Path) -> None:
    """Frames, per-video faces and per-person faces, each folder replaced whole."""
    frames_dir, faces_dir, clusters_dir = (out / name for name in (FRAMES, FACES, CLUSTERS))
    for folder in (frames_dir, faces_dir, clusters_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    first_row = first_rows(result.videos)
    for sha, video in result.faces.items():
        tag = f"row{first_row[sha]:04d}"
        for index, jpeg in zip(video.frame_indices, video.frames_jpeg):
            (frames_dir / f"{tag}_frame{index:06d}.jpg").write_bytes(jpeg)
        for i, face in enumerate(video.faces):
            (faces_dir / face_file(first_row[sha], face, i)).write_bytes(face.crop_jpeg)
    for appearance in result.appearances:
        video = result.faces[appearance.video]
        for i in appearance.face_ids:
            path = out / cluster_face_path(appearance.person, first_row[appearance.video], video.faces[i], i)
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(video.faces[i].crop_jpeg)
