"""`python -m influencer_kit.registry COMMAND`: look at and correct the registry of known people.

    list [--faces]                       who is known (and their reference faces)
    rename influencer_004 "Maya"         the name shown beside the id in every output
    merge influencer_002 influencer_006  influencer_006 is influencer_002 (from now on)
    split influencer_002 --videos 3fa4c1 9b20e7 [--name "Leo"]   those videos' faces are someone new
    split influencer_002 --faces 12 15 --into influencer_005     those faces are influencer_005's
    ignore influencer_007 [--undo]       not an influencer: never a video's main person
    different influencer_002 influencer_006   not one person: never merged, by a run or a merge
    undo 12                              reverse correction #12 (the numbers `history` shows)
    export people.xlsx / import people.xlsx   the same corrections, by editing a workbook
    history                              every correction made, oldest first
    migrate --to postgresql://USER@HOST/DB    copy the whole registry into an empty one

The registry is `registry.db` in the current folder (beside the default MLflow store), or
`--registry PATH|sqlite:///PATH|postgresql://USER@HOST/DB`. A run picks up every correction the next
time it starts. `--seen N` refuses a correction (or an import) unless #N is still the newest (what `history` showed).
"""
from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable
from pathlib import Path

from influencer_kit.errors import EXIT_STATUS, InfluencerKitError, RegistryError
from influencer_kit.registry import corrections
from influencer_kit.registry.known import FILE_NAME, registry_path
from influencer_kit.registry.spreadsheet import export_workbook, import_workbook
from influencer_kit.registry.store import Registry
from influencer_kit.registry.transfer import copy_registry, describe_copy


def list_people(registry: Registry, args: argparse.Namespace) -> list[str]:
    faces = registry.faces()
    lines = [f"{'influencer':<16}{'name':<24}{'faces':>6}{'videos':>7}  note"]
    for p in registry.people(merged=True):
        if p.merged_into:
            lines.append(f"{p.id:<16}merged into {registry.person(p.id).id}")
            continue
        own = [f for f in faces if f.person == p.id]
        note = "not an influencer" if p.ignored else ""
        lines.append(f"{p.id:<16}{p.name:<24}{len(own):>6}{len({f.video for f in own}):>7}  {note}".rstrip())
    if args.faces:
        lines += ["", f"{'face_id':>7}  {'influencer':<16}{'video_sha256':<66}frame"]
        lines += [f"{f.id:>7}  {f.person:<16}{f.video:<66}{f.frame}" for f in faces]
    return lines


def history(registry: Registry, args: argparse.Namespace) -> list[str]:
    lines = []
    for c in registry.corrections():
        when, by = datetime.datetime.fromtimestamp(c.time), f"  by {c.author}" if c.author else ""
        lines.append(f"#{c.id} {when:%Y-%m-%d %H:%M}  {corrections.describe(c.action, c.args)}{by}"
                     f"  (runs since: {c.applied_runs})")
    return lines or ["no corrections yet"]


def export(registry: Registry, args: argparse.Namespace) -> list[str]:
    export_workbook(registry, args.file)
    return [f"wrote {args.file}: edit it, then `import` it"]


def import_edits(registry: Registry, args: argparse.Namespace) -> list[str]:
    return import_workbook(registry, args.file, args.seen) or ["no changes"]


def migrate(registry: Registry, args: argparse.Namespace) -> list[str]:
    with Registry(registry_path(args.to, None)) as target:
        return [describe_copy(copy_registry(registry, target), registry, target)]


def correct(change: Callable[[Registry, argparse.Namespace], list[str]]):
    """A command that changes the registry: all its corrections in one transaction, refused when
    `--seen N` is given and #N is no longer the newest correction."""
    def run(registry: Registry, args: argparse.Namespace) -> list[str]:
        with registry.write():
            registry.check_version(args.seen)
            return change(registry, args)
    return run


COMMANDS = {
    "list": list_people,
    "history": history,
    "rename": correct(lambda r, a: [corrections.rename(r, a.influencer, a.name)]),
    "merge": correct(lambda r, a: [corrections.merge(r, a.keep, other) for other in a.others]),
    "split": correct(lambda r, a: [corrections.split(r, a.influencer, a.faces, a.videos, a.into, a.name)]),
    "ignore": correct(lambda r, a: [corrections.ignore(r, a.influencer, not a.undo)]),
    "different": correct(lambda r, a: [corrections.different(r, a.first, a.second)]),
    "undo": correct(lambda r, a: [corrections.undo(r, a.correction)]),
    "export": export,
    "import": import_edits,
    "migrate": migrate,
}


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m influencer_kit.registry", description=__doc__.splitlines()[0],
                                    formatter_class=argparse.RawDescriptionHelpFormatter,
                                    epilog="\n".join(__doc__.splitlines()[2:]))
    parse.add_argument("--registry", default=FILE_NAME,
                       help=f"the registry file, sqlite:///PATH or postgresql://USER@HOST/DB "
                       f"(default: {FILE_NAME} here)")
    parse.add_argument("--seen", type=int, default=None, metavar="N",
                       help="make the correction only if #N is still the newest one (the registry is as you saw it)")
    commands = parse.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="who is known")
    listing.add_argument("--faces", action="store_true", help="also list every reference face")
    commands.add_parser("history", help="every correction made, oldest first")
    rename = commands.add_parser("rename", help="set a person's display name")
    rename.add_argument("influencer")
    rename.add_argument("name")
    merge = commands.add_parser("merge", help="make people one person, under the first id")
    merge.add_argument("keep")
    merge.add_argument("others", nargs="+")
    split = commands.add_parser("split", help="move some of a person's faces to a new (or another) person")
    split.add_argument("influencer")
    split.add_argument("--faces", type=int, nargs="+", default=[], help="face ids (list --faces)")
    split.add_argument("--videos", nargs="+", default=[], help="video sha256s, or unique prefixes of them")
    target = split.add_mutually_exclusive_group()
    target.add_argument("--name", default="", help="the new person's display name")
    target.add_argument("--into", default="", help="an existing person to move the faces to")
    ignore = commands.add_parser("ignore", help="mark a person as not an influencer")
    ignore.add_argument("influencer")
    ignore.add_argument("--undo", action="store_true", help="make them an influencer again")
    different = commands.add_parser("different", help="record that two people are not one person")
    different.add_argument("first")
    different.add_argument("second")
    commands.add_parser("undo", help="reverse one correction (its number in history)").add_argument(
        "correction", type=int)
    for name, text in (("export", "write the registry as a workbook to edit"),
                       ("import", "apply the edits of an exported workbook")):
        commands.add_parser(name, help=text).add_argument("file", type=Path)
    commands.add_parser("migrate", help="copy the whole registry into an empty one (a team's PostgreSQL database)"
                        ).add_argument("--to", required=True, help="postgresql://USER@HOST/DB or sqlite:///PATH")
    return parse


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        path = registry_path(args.registry, None)
        if isinstance(path, Path) and not path.is_file():
            raise RegistryError(f"no registry at {path}: a run creates it (registry.uri=), or pass --registry PATH")
        with Registry(path) as registry:
            print("\n".join(COMMANDS[args.command](registry, args)))
    except InfluencerKitError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main())
