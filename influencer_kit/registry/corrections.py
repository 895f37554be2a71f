"""What a person can tell the registry: rename, merge, split, ignore. Each correction is checked,
applied and written to the corrections log, inside the caller's `registry.write()` transaction
(so a spreadsheet import applies all its corrections or none). Later runs work from the corrected
registry, so a correction keeps holding without being redone.

- rename: the display name shown beside the id in every output.
- merge: `other`'s reference faces go to `keep`; `other`'s id now stands for `keep` and is never
  given out again. `keep` takes `other`'s name when it has none.
- split: the chosen reference faces go to a new person (the next free id), or to an existing one
  (`into`). What the person keeps, they keep under their own id.
- ignore: a person "not an influencer" (crew, a stranger in the background) is still recognised,
  and listed among a video's people, but is never a video's main influencer.
"""
from __future__ import annotations

from collections.abc import Sequence

from influencer_kit.errors import RegistryError
from influencer_kit.registry.store import ReferenceFace, Registry


def describe(action: str, args: dict) -> str:
    """One line for the log, the command line and MLflow."""
    if action == "rename":
        return f'rename {args["person"]} to "{args["name"]}" (was "{args["was"]}")'
    if action == "merge":
        return f"merge {args['other']} into {args['keep']}"
    if action == "split":
        target = f"new {args['into']}" if args["new"] else args["into"]
        return f"split {len(args['faces'])} face(s) of {args['person']} into {target}"
    if action == "ignore":
        return f"mark {args['person']} as {'not an influencer' if args['ignored'] else 'an influencer again'}"
    raise ValueError(f"unknown correction {action!r}")


def _done(registry: Registry, action: str, args: dict) -> str:
    registry.log_correction(action, args)
    return describe(action, args)


def rename(registry: Registry, pid: str, name: str) -> str:
    person = registry.person(pid)
    registry.update_person(person.id, name=name.strip())
    return _done(registry, "rename", {"person": person.id, "name": name.strip(), "was": person.name})


def merge(registry: Registry, keep: str, other: str) -> str:
    """`other` becomes `keep`: their faces, and their id from now on."""
    kept, merged = registry.person(keep), registry.person(other)
    if kept.id == merged.id:
        raise RegistryError(f"{keep} and {other} are already one person ({kept.id})")
    registry.move_faces([f.id for f in registry.faces(merged.id)], kept.id)
    registry.update_person(merged.id, merged_into=kept.id)
    if not kept.name and merged.name:
        registry.update_person(kept.id, name=merged.name)
    return _done(registry, "merge", {"keep": kept.id, "other": merged.id})


def split(registry: Registry, pid: str, faces: Sequence[int] = (), videos: Sequence[str] = (), into: str = "",
          name: str = "") -> str:
    """Move some of a person's reference faces (by face id, or every face from the given videos,
    by sha256 or a unique prefix of it) to a new person named `name`, or to the existing `into`."""
    person = registry.person(pid)
    own = registry.faces(person.id)
    chosen = sorted(set(faces) | {f.id for f in own if f.video in _videos(own, videos, person.id)})
    if not chosen:
        raise RegistryError("choose the faces to split off: --faces FACE_ID... or --videos SHA256...")
    strangers = sorted(set(chosen) - {f.id for f in own})
    if strangers:
        raise RegistryError(f"face(s) {strangers} are not {person.id}'s; "
                            f"`python -m influencer_kit.registry list --faces` shows whose faces are whose")
    if len(chosen) == len(own):
        raise RegistryError(f"that is every face of {person.id}: to give them another name use rename, "
                            f"to join them with someone use merge")
    target = registry.person(into).id if into else registry.add_person(registry.next_number(), name.strip())
    if target == person.id:
        raise RegistryError(f"{into} is {person.id} itself")
    registry.move_faces(chosen, target)
    return _done(registry, "split", {"person": person.id, "faces": chosen, "into": target, "new": not into})


def _videos(own: list[ReferenceFace], prefixes: Sequence[str], pid: str) -> set[str]:
    """The videos (sha256) of a person's faces that the given sha256 prefixes name, one each."""
    found = set()
    for prefix in prefixes:
        hits = {f.video for f in own if f.video.startswith(prefix.lower())}
        if len(hits) != 1:
            what = "no video" if not hits else f"{len(hits)} videos"
            raise RegistryError(f"{prefix!r} names {what} among {pid}'s faces; give more of the video's "
                                f"sha256 (the `video_sha256` column of ProcessedVideos)")
        found |= hits
    return found


def ignore(registry: Registry, pid: str, ignored: bool = True) -> str:
    person = registry.person(pid)
    registry.update_person(person.id, ignored=int(ignored))
    return _done(registry, "ignore", {"person": person.id, "ignored": ignored})
