"""The whole job, stage by stage: spreadsheet -> videos -> frames -> faces -> embeddings -> people
-> influencers -> creatives -> ranking -> files. `run(cfg)` is what the CLI, the tests and the benchmarks call."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from influencer_kit.acquire.download import FetchConfig
from influencer_kit.acquire.links import resolve_sheet
from influencer_kit.creatives.assign import find_creatives
from influencer_kit.creatives.grouping import CreativesConfig
from influencer_kit.execution.dispatch import check_executor, fetch_and_analyse
from influencer_kit.execution.task import FaceSettings
from influencer_kit.inputs.demo import build_demo
from influencer_kit.inputs.sheet import read_sheet
from influencer_kit.model import Appearance, Fetched, RegistrySummary, Result, VideoFaces
from influencer_kit.outputs.folders import first_rows, representative_paths
from influencer_kit.outputs.report import write_report
from influencer_kit.outputs.run_config import write_run_config
from influencer_kit.outputs.tables import write_outputs
from influencer_kit.people import close_calls
from influencer_kit.people.grouping import cluster_appearances, group_within_video, identify, representative_faces
from influencer_kit.people.videos_table import build_videos_table, ranking_input, with_faces_and_closeness, with_names
from influencer_kit.plugin import manager
from influencer_kit.plugin.weights import ensure_weights
from influencer_kit.plugin.components import or_default
from influencer_kit.ranking import ranking
from influencer_kit.registry.known import KnownPeople
from influencer_kit.registry.known import prepare as prepare_registry

log = logging.getLogger(__name__)


@contextmanager
def timed(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    log.info("%s ...", stage)
    yield
    timings[stage] = time.perf_counter() - start


def input_path(cfg: DictConfig, fetch_cfg: FetchConfig) -> Path:
    """The spreadsheet to read: `data.path` (a file, or a Google Sheets link downloaded), or the demo
    set the package ships, copied into the cache."""
    if cfg.data.path:
        return resolve_sheet(str(cfg.data.path), Path(cfg.cache.dir).expanduser().resolve(),
                             fetch_cfg, cfg.data.sheet)
    return build_demo(Path(cfg.cache.dir).expanduser() / "demo")


def run(cfg: DictConfig) -> Result:
    """Run every stage; a bad row never stops the others, a bad spreadsheet stops before any work."""
    timings: dict[str, float] = {}
    out = Path(cfg.output.dir).expanduser().resolve()
    cache_root = Path(cfg.cache.dir).expanduser().resolve()
    progress = bool(cfg.output.progress)
    fetch_cfg: FetchConfig = OmegaConf.to_object(cfg.fetch)
    creatives_cfg: CreativesConfig = OmegaConf.to_object(cfg.creatives)

    with timed(timings, "read spreadsheet"):
        sheet = read_sheet(input_path(cfg, fetch_cfg), cfg.data.sheet, cfg.data.url_column,
                           cfg.data.performance_column, cfg.data.label_column, cfg.data.decimal)
        log.info("input %s: %s", sheet.path.name, sheet.reading.describe())
        performance = ranking.normalised_performance(sheet, cfg.ranking)  # None unless ranking.normalize_by
        check_executor(cfg.executor)  # executor=ray without Ray installed is refused before any work (and
        # executor=local starts its fork server, whose imports overlap the first downloads)
        for kind in ("detector", "embedder"):  # missing weights stop the run here, in one line
            ensure_weights(kind, cfg[kind])
        same_person = manager.embedder_distance(cfg.embedder).threshold  # what distance settings left at null mean
        known = prepare_registry(cfg, same_person)  # a registry of another embedder is refused before any work
    with timed(timings, "download and faces"):  # each video analysed as soon as it is in
        settings = FaceSettings(
            detector=OmegaConf.to_container(cfg.detector),
            embedder=OmegaConf.to_container(cfg.embedder),
            frames_per_video=int(cfg.frames_per_video),
            faces_per_track=int(cfg.per_video.faces_per_track),
            early_stop=bool(cfg.per_video.early_stop),
            same_person_distance=or_default(cfg.per_video.same_person_distance, same_person),
            keep_frames=cfg.output.frames != "none",
            members_root=str(cache_root),
            fingerprint=creatives_cfg.fingerprint if creatives_cfg.enabled else None,
        )
        streamed = fetch_and_analyse([(r.row, r.url) for r in sheet.rows], sheet.path.parent, cache_root,
                                     fetch_cfg, settings, OmegaConf.to_container(cfg.executor), progress)
        fetched, analysed, cache = streamed.fetched, streamed.analysed, streamed.cache
    timings.update(streamed.seconds)  # when the downloads ended and when the faces did, within that stage
    with timed(timings, "people"):
        faces = {sha: r for sha, r in analysed.items() if isinstance(r, VideoFaces)}
        appearances, registry = find_people(fetched, faces, cfg, same_person, known)
    with timed(timings, "creatives"):  # variants of one footage, whose people agree, are one creative
        creative_of = find_creatives(list(unique_videos(fetched)), streamed.fingerprints, appearances, creatives_cfg,
                                     known.path if known is not None else None)
    with timed(timings, "ranking"):
        videos = build_videos_table(sheet, fetched, analysed, appearances, creative_of)
        calls = close_calls.assess(videos, appearances, same_person)  # rows whose influencer was nearly someone else
        videos = calls.flag(videos)
        names = {a.person: a.name for a in appearances}
        metrics = with_names(ranking.performance_metrics(ranking_input(sheet, videos, performance), cfg.ranking), names)
        ranked, unranked = ranking.rank(metrics, cfg.ranking)
        ranked = with_names(ranked, names)
        faces_shown = representative_paths(representative_faces(appearances, faces), faces, first_rows(videos))
        metrics = with_faces_and_closeness(metrics, faces_shown, calls.people)
    result = Result(sheet, videos, metrics, ranked, unranked, appearances, faces, cache, out, timings, registry)
    with timed(timings, "write outputs"):
        write_outputs(result, cfg)
        write_run_config(cfg, out)  # what the review app's Apply runs again
    with timed(timings, "report"):
        write_report(result, out, cfg)
    return result


def unique_videos(fetched: list[Fetched]) -> dict[str, Path]:
    """Each distinct video (by content) once, in order of first row."""
    videos: dict[str, Path] = {}
    for f in fetched:
        if f.sha256 and f.sha256 not in videos:
            videos[f.sha256] = f.path
    return videos


def find_people(fetched: list[Fetched], faces: dict[str, VideoFaces], cfg: DictConfig, same_person: float,
                known: KnownPeople | None = None) -> tuple[list[Appearance], RegistrySummary | None]:
    """Appearances of every video in row order, each labelled with its influencer id: a known
    person's when `known` (the registry) recognises them, else a new person's from clustering.
    Distances left at null are `same_person`, the embedder's same-person distance."""
    appearances: list[Appearance] = []
    for sha in unique_videos(fetched):
        if sha in faces and len(faces[sha].faces):
            vf = faces[sha]
            appearances += group_within_video(sha, vf.embeddings, vf.faces,
                                              or_default(cfg.people.within_video_distance, same_person))
    clusterer = manager.build("cluster", cfg.cluster, same_person)
    if known is not None:
        return appearances, known.identify(appearances, faces, clusterer)
    identify(appearances, cluster_appearances(appearances, clusterer))
    return appearances, None
