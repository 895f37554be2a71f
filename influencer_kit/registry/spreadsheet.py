"""The registry as a workbook to edit: `export` writes it, `import` turns the edits into
corrections (the same ones the command line makes) and applies them all in one transaction.

Sheet `people`, one row per person: edit `name` to rename, put `yes` in `not_influencer` to ignore
(empty to undo), write another id in `merge_into` to merge this person into that one.
Sheet `faces`, one row per reference face: change `influencer` to another person's id to move the
face to them, or to `new` (`new 2`, `new 3`... for several) to split those faces off as a new person.
Its `was` column (the face's person at export) tells an edit from a face that a later correction
moved: such a face is left as it is now, and said so. Importing the same workbook twice changes
nothing the second time.
"""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from influencer_kit.atomic import write_atomic
from influencer_kit.errors import RegistryError
from influencer_kit.outputs.tables import fill_sheet
from influencer_kit.registry import corrections
from influencer_kit.registry.store import Registry

PEOPLE_SHEET, FACES_SHEET, HELP_SHEET = "people", "faces", "how to edit"
PEOPLE_COLUMNS = ["influencer", "name", "not_influencer", "merge_into", "faces", "videos", "face"]
FACES_COLUMNS = ["face_id", "influencer", "was", "video_sha256", "frame", "face"]
NEW_PERSON = "new"  # a face's `influencer` starting with this puts it in a new person
YES, NO = {"yes", "y", "true", "1", "x"}, {"", "no", "n", "false", "0"}
HELP = [
    "people: edit `name` to rename; `yes` in `not_influencer` marks a person who is never a video's "
    "main influencer (crew, a stranger), empty undoes it; an id in `merge_into` merges the row's "
    "person into that one.",
    "faces: change `influencer` to another id to move the face there, or to `new` (`new 2`, "
    "`new 3`... for several people) to split those faces off as a new person.",
    "Then: python -m influencer_kit.registry import THIS_FILE.xlsx (all edits apply, or none).",
]


def export_workbook(registry: Registry, path: Path) -> None:
    """Write the people, their reference faces (as thumbnails) and how to edit them."""
    people = registry.people()
    faces = registry.faces()
    by_person = defaultdict(list)
    for face in faces:
        by_person[face.person].append(face)
    people_table = pd.DataFrame({
        "influencer": [p.id for p in people],
        "name": [p.name for p in people],
        "not_influencer": ["yes" if p.ignored else "" for p in people],
        "merge_into": "",
        "faces": [len(by_person[p.id]) for p in people],
        "videos": [len({f.video for f in by_person[p.id]}) for p in people],
        "face": "",
    }, columns=PEOPLE_COLUMNS)
    faces_table = pd.DataFrame({
        "face_id": [f.id for f in faces],
        "influencer": [f.person for f in faces],
        "was": [f.person for f in faces],
        "video_sha256": [f.video for f in faces],
        "frame": [f.frame for f in faces],
        "face": "",
    }, columns=FACES_COLUMNS)
    book = Workbook(write_only=True)
    fill_sheet(book.create_sheet(), people_table, PEOPLE_SHEET,
               pictures={"face": [by_person[p.id][0].jpeg if by_person[p.id] else None for p in people]})
    fill_sheet(book.create_sheet(), faces_table, FACES_SHEET, pictures={"face": [f.jpeg for f in faces]})
    fill_sheet(book.create_sheet(), pd.DataFrame({"how to edit": HELP}), HELP_SHEET)
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(Path(path), buffer.getvalue())


def import_workbook(registry: Registry, path: Path, seen: int | None = None) -> list[str]:
    """Apply the edits of an exported workbook; the corrections made, described. Splits and moves
    first, then renames and ignores, then merges. With `seen`, refused (`RegistryConflict`) unless
    the registry is still at that version."""
    people, faces = read_sheets(Path(path))
    with registry.write():
        registry.check_version(seen)
        done = apply_face_moves(registry, faces)
        merges = []
        for row in people[people["influencer"] != ""].itertuples(index=False):
            person = registry.person(row.influencer)
            if person.id != row.influencer:
                done.append(f"left as is: {row.influencer} was merged into {person.id} since the export")
                continue
            if row.name != person.name:
                done.append(corrections.rename(registry, person.id, row.name))
            if flag(row.not_influencer, row.influencer) != person.ignored:
                done.append(corrections.ignore(registry, person.id, not person.ignored))
            if row.merge_into and registry.person(row.merge_into).id != person.id:
                merges.append((row.merge_into, person.id))
        done += [corrections.merge(registry, keep, other) for keep, other in merges]
    return done


def read_sheets(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `people` and `faces` sheets, every cell as stripped text."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as err:
        raise RegistryError(f"cannot read {path} as a workbook: {err}") from err
    found = []
    for name, columns in ((PEOPLE_SHEET, PEOPLE_COLUMNS[:4]), (FACES_SHEET, FACES_COLUMNS[:3])):
        table = sheets.get(name)
        if table is None or not set(columns) <= set(table.columns):
            raise RegistryError(f"{path} has no sheet {name!r} with columns {columns}; "
                                f"start from `python -m influencer_kit.registry export FILE.xlsx`")
        found.append(table[columns].apply(lambda c: c.str.strip()))
    return found[0], found[1]


def flag(text: str, pid: str) -> bool:
    if text.lower() in YES | NO:
        return text.lower() in YES
    raise RegistryError(f"not_influencer of {pid} is {text!r}: write yes, or leave it empty")


def apply_face_moves(registry: Registry, faces: pd.DataFrame) -> list[str]:
    """Split off or move the faces whose `influencer` was changed; the corrections made, and a line
    for each edited face that a correction after the export had moved already."""
    owner = {f.id: f.person for f in registry.faces()}
    moves: dict[tuple[str, str], list[int]] = defaultdict(list)
    done, new_ids = [], {}
    for row in faces[faces["influencer"] != faces["was"]].itertuples(index=False):
        face = int(float(row.face_id))
        if face not in owner:
            raise RegistryError(f"face {face} is not in the registry {registry.where}")
        if owner[face] != registry.person(row.was).id:
            done.append(f"left as is: face {face} is {owner[face]}'s since the export (export again to edit it)")
        elif row.influencer.lower().startswith(NEW_PERSON):
            moves[(owner[face], row.influencer.lower())].append(face)
        elif row.influencer and registry.person(row.influencer).id != owner[face]:
            moves[(owner[face], registry.person(row.influencer).id)].append(face)
    for (source, target), chosen in moves.items():
        into = new_ids.get(target, "" if target.startswith(NEW_PERSON) else target)
        done.append(corrections.split(registry, source, faces=chosen, into=into))
        new_ids.setdefault(target, registry.face_owner(chosen[0]))
    return done
