"""Scores the real-footage benchmark adds for the ad-like parts and the threshold ranges: whether a
row's `influencer` is its main person, whether its `influencers` hold its other people, and which
cuts are best. Plain functions over per-row lists, like the rest of benchmarks/real_footage.py's.

A predicted person *stands for* the true main label most of its rows carry (rows with no main
person left out; a tie goes to the label of its earliest row). A label's predicted people are those
that stand for it: none when the label is never the main of a row, or always lost in another's.
"""
from __future__ import annotations

from collections import Counter


def named(labels: list[str]) -> list[str]:
    """People among a row's labels: `extras_*` groups left out."""
    return [p for p in labels if p and not p.startswith("extras_")]


def stands_for(truth: list[str], predicted: list[str]) -> dict[str, str]:
    """Each predicted person -> the true main label most of its rows carry."""
    labels: dict[str, Counter] = {}
    for person, found in zip(truth, predicted):
        if person and found:
            labels.setdefault(found, Counter())[person] += 1
    return {found: counts.most_common(1)[0][0] for found, counts in labels.items()}


def main_right(truth: list[str], predicted: list[str]) -> tuple[int, int]:
    """Rows with a true main person whose `influencer` stands for that person, out of how many."""
    meaning = stands_for(truth, predicted)
    rows = [(person, found) for person, found in zip(truth, predicted) if person]
    return sum(1 for person, found in rows if found and meaning[found] == person), len(rows)


def others_by_person(truth: list[str], people: list[list[str]], predicted: list[str],
                     influencers: list[list[str]]) -> dict[str, tuple[int, int]]:
    """Per label: of the rows that show it besides their main person (`extras_*` groups left out),
    in how many one of its predicted people is in the row's `influencers`, out of how many."""
    ids: dict[str, set[str]] = {}
    for found, label in stands_for(truth, predicted).items():
        ids.setdefault(label, set()).add(found)
    counts: dict[str, list[int]] = {}
    for main, labels, row_ids in zip(truth, people, influencers):
        for person in named(labels):
            if person != main:
                tally = counts.setdefault(person, [0, 0])
                tally[0] += bool(ids.get(person, set()) & set(row_ids))
                tally[1] += 1
    return {person: (found, total) for person, (found, total) in sorted(counts.items())}


def others_found(truth: list[str], people: list[list[str]], predicted: list[str],
                 influencers: list[list[str]]) -> tuple[int, int]:
    """Over every row, the other people (not its main one) found in its `influencers`, out of how many."""
    tallies = others_by_person(truth, people, predicted, influencers).values()
    return sum(found for found, _ in tallies), sum(total for _, total in tallies)


def best_cuts(tried: list[tuple[float, float, bool]]) -> tuple[list[list[float]], bool]:
    """The cuts, as runs of neighbours in the order tried, that give the best BCubed F among those
    that find every person; `tried` is (cut, F, every person found) per cut, in increasing cut. When
    no cut finds every person, the runs with the best F of all, and False."""
    complete = [t for t in tried if t[2]]
    pool = complete or tried
    if not pool:
        return [], False
    best = max(f for _, f, _ in pool)
    runs: list[list[float]] = []
    previous = False
    for cut, f, everyone in tried:
        chosen = abs(f - best) < 1e-9 and (everyone or not complete)
        if chosen:
            if previous:
                runs[-1].append(cut)
            else:
                runs.append([cut])
        previous = chosen
    return runs, bool(complete)
