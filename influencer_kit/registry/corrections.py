"""What a person can tell the registry: rename, merge, split, ignore, "different people", a close
call confirmed, and undo of any of these. Each correction is checked,
applied and written to the corrections log with its `author` (a review-app account; '' for the
command line), inside the caller's `registry.write()` transaction
(so a spreadsheet import applies all its corrections or none). Later runs work from the corrected
registry, so a correction keeps holding without being redone.

- rename: the display name shown beside the id in every output.
- merge: `other`'s reference faces go to `keep`; `other`'s id now stands for `keep` and is never
  given out again. `keep` takes `other`'s name when it has none.
- split: the chosen reference faces go to a new person (the next free id), or to an existing one
  (`into`). What the person keeps, they keep under their own id.
- ignore: a person "not an influencer" (crew, a stranger in the background) is still recognised,
  and listed among a video's people, but is never a video's main influencer.
- different: two people are not one person; no merge joins them (undo this first), and no run
  clusters their look-alikes together (`known.py`).
- confirm: a run's close call (a video's influencer) looked at and found right; runs ignore it,
  the review app stops listing it.
- split creative: some videos of a creative are not variants of the rest: every pair across the
  two sides is kept apart by later runs.
- join creatives: two creatives are one: a pair across them is joined by later runs.
- undo: reverses one earlier correction, when what it did still stands (a merge whose faces have
  moved on since is refused, with why); logged like the others.
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
    if action == "different":
        return f"{args['a']} and {args['b']} are different people"
    if action == "confirm":
        return f"confirm {args['person']} as the influencer of video {args['video'][:12]}"
    if action == "split_creative":
        return f"split {len(args['videos'])} video(s) off creative {args['creative']}"
    if action == "join_creatives":
        return f"join creatives {args['creative']} and {args['other']}"
    if action == "undo":
        return f"undo #{args['correction']}: {args['what']}"
    raise ValueError(f"unknown correction {action!r}")


def _done(registry: Registry, action: str, args: dict, author: str) -> str:
    correction = registry.log_correction(action, args, author)
    if action == "different":
        registry.add_different(args["a"], args["b"], correction)
    return describe(action, args)


def rename(registry: Registry, pid: str, name: str, *, author: str = "") -> str:
    person = registry.person(pid)
    registry.update_person(person.id, name=name.strip())
    return _done(registry, "rename", {"person": person.id, "name": name.strip(), "was": person.name}, author)


def merge(registry: Registry, keep: str, other: str, *, author: str = "") -> str:
    """`other` becomes `keep`: their faces, and their id from now on."""
    kept, merged = registry.person(keep), registry.person(other)
    if kept.id == merged.id:
        raise RegistryError(f"{keep} and {other} are already one person ({kept.id})")
    said = registry.different().get(frozenset((kept.id, merged.id)))
    if said is not None:
        raise RegistryError(f"{kept.id} and {merged.id} were marked as different people (correction #{said}); "
                            f"undo that correction first to merge them")
    moved = [f.id for f in registry.faces(merged.id)]
    registry.move_faces(moved, kept.id)
    registry.update_person(merged.id, merged_into=kept.id)
    took_name = merged.name if not kept.name and merged.name else ""
    if took_name:
        registry.update_person(kept.id, name=took_name)
    return _done(registry, "merge", {"keep": kept.id, "other": merged.id, "faces": moved, "took_name": took_name},
                 author)


def split(registry: Registry, pid: str, faces: Sequence[int] = (), videos: Sequence[str] = (), into: str = "",
          name: str = "", *, author: str = "") -> str:
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
    return _done(registry, "split", {"person": person.id, "faces": chosen, "into": target, "new": not into}, author)


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


def ignore(registry: Registry, pid: str, ignored: bool = True, *, author: str = "") -> str:
    person = registry.person(pid)
    registry.update_person(person.id, ignored=int(ignored))
    return _done(registry, "ignore", {"person": person.id, "ignored": ignored}, author)


def different(registry: Registry, a: str, b: str, *, author: str = "") -> str:
    """`a` and `b` are not one person: never merged, by a run or by a merge (until undone)."""
    first, second = registry.person(a), registry.person(b)
    if first.id == second.id:
        raise RegistryError(f"{a} and {b} are one person ({first.id}) already: split them first")
    if frozenset((first.id, second.id)) in registry.different():
        raise RegistryError(f"{first.id} and {second.id} are marked as different people already")
    return _done(registry, "different", {"a": min(first.id, second.id), "b": max(first.id, second.id)}, author)


def confirm(registry: Registry, pid: str, video: str, *, author: str = "") -> str:
    """A close call looked at: `pid` is rightly the influencer of `video` (sha256)."""
    return _done(registry, "confirm", {"person": registry.person(pid).id, "video": video}, author)


def split_creative(registry: Registry, creative: str, videos: Sequence[str], rest: Sequence[str], *,
                   author: str = "") -> str:
    """`videos` (sha256) of the run's creative `creative` are another creative than the `rest` of it."""
    chosen, others = sorted(set(videos)), sorted(set(rest) - set(videos))
    if not chosen or not others:
        raise RegistryError(f"choose some, not all, of creative {creative}'s videos to split off")
    args = {"creative": creative, "videos": chosen, "rest": others}
    correction = registry.log_correction("split_creative", args, author)
    registry.link_videos([(a, b) for a in chosen for b in others], False, correction)
    return describe("split_creative", args)


def join_creatives(registry: Registry, creative: str, video: str, other: str, other_video: str, *,
                   author: str = "") -> str:
    """The run's creatives `creative` and `other` are one: their videos `video` and `other_video`
    (sha256, one of each) are variants of one another."""
    if video == other_video or creative == other:
        raise RegistryError(f"{creative} and {other} are one creative already")
    args = {"creative": creative, "other": other, "videos": sorted((video, other_video))}
    correction = registry.log_correction("join_creatives", args, author)
    registry.link_videos([(video, other_video)], True, correction)
    return describe("join_creatives", args)


def undone(registry: Registry) -> set[int]:
    """The ids of the corrections undone so far."""
    return {c.args["correction"] for c in registry.corrections() if c.action == "undo"}


def confirmed(registry: Registry) -> set[tuple[str, str]]:
    """(person, video) of every close call confirmed and not undone."""
    gone = undone(registry)
    return {(registry.person(c.args["person"]).id, c.args["video"]) for c in registry.corrections()
            if c.action == "confirm" and c.id not in gone}


def undo(registry: Registry, correction: int, *, author: str = "") -> str:
    """Reverse correction number `correction`, if what it did still stands; logged as an undo."""
    found = {c.id: c for c in registry.corrections()}.get(correction)
    if found is None:
        raise RegistryError(f"no correction #{correction}; `python -m influencer_kit.registry history` lists them")
    if found.action == "undo":
        raise RegistryError(f"#{correction} is an undo itself: make that correction again instead")
    if correction in undone(registry):
        raise RegistryError(f"#{correction} ({describe(found.action, found.args)}) is undone already")
    UNDO[found.action](registry, found.args, correction)
    return _done(registry, "undo", {"correction": correction, "what": describe(found.action, found.args)}, author)


def _still(registry: Registry, pid: str) -> None:
    """Refuse to undo a correction of a person merged away since."""
    now = registry.person(pid).id
    if now != pid:
        raise RegistryError(f"{pid} was merged into {now} since: undo that merge first")


def _undo_rename(registry: Registry, args: dict, correction: int) -> None:
    _still(registry, args["person"])
    if registry.person(args["person"]).name != args["name"]:
        raise RegistryError(f"{args['person']} was renamed again since: rename them instead")
    registry.update_person(args["person"], name=args["was"])


def _undo_merge(registry: Registry, args: dict, correction: int) -> None:
    if "faces" not in args:
        raise RegistryError("this merge was logged before merges could be undone: split the faces off instead")
    _still(registry, args["keep"])
    other = registry.person(args["other"])
    if other.id != args["keep"]:
        raise RegistryError(f"{args['other']} is no longer merged into {args['keep']} directly")
    still_kept = {f.id for f in registry.faces(args["keep"])}
    registry.move_faces([f for f in args["faces"] if f in still_kept], args["other"])
    registry.update_person(args["other"], merged_into=None)
    if args["took_name"] and registry.person(args["keep"]).name == args["took_name"]:
        registry.update_person(args["keep"], name="")


def _undo_split(registry: Registry, args: dict, correction: int) -> None:
    _still(registry, args["person"])
    target = registry.person(args["into"]).id
    still_there = {f.id for f in registry.faces(target)}
    registry.move_faces([f for f in args["faces"] if f in still_there], args["person"])
    if args["new"] and target == args["into"] and not registry.faces(target):
        registry.update_person(target, merged_into=args["person"])  # the id is never given out again


def _undo_ignore(registry: Registry, args: dict, correction: int) -> None:
    _still(registry, args["person"])
    if registry.person(args["person"]).ignored != args["ignored"]:
        raise RegistryError(f"{args['person']} was marked again since")
    registry.update_person(args["person"], ignored=int(not args["ignored"]))


UNDO = {
    "rename": _undo_rename,
    "merge": _undo_merge,
    "split": _undo_split,
    "ignore": _undo_ignore,
    "different": lambda registry, args, correction: registry.remove_different(args["a"], args["b"]),
    "confirm": lambda registry, args, correction: None,  # nothing was changed but the log: the undo is the record
    "split_creative": lambda registry, args, correction: registry.unlink_videos(correction),
    "join_creatives": lambda registry, args, correction: registry.unlink_videos(correction),
}
