"""Transitive consistency across texts, after Wen, Hovy and Hauptmann (ACL 2024).

Stances between connected actors correlate: news that shows A supporting B and B
opposing C tends to show A opposing C (structural balance). Wen et al. find connected
entity pairs in the training data and add an objective that enforces this transitivity.
Their exact formulation is not reproduced here; this module implements our reading:

1. **Triangles.** Actors are matched across texts by their folded name (case and
   diacritics folded, a possessive ``'s`` and a leading "the" dropped). Three actors
   form a triangle when the training data has a text for each of their three pairs.
2. **Loss.** Every training step also encodes the texts of a few sampled triangles. For
   each directed path X→Y→Z of a triangle, the model's probability of an inconsistent
   configuration is, with the product t-norm (as in Li et al. 2019),

       v = P(X→Y=+) P(Y→Z=+) P(X→Z=-) + P(X→Y=-) P(Y→Z=-) P(X→Z=-)
         + P(X→Y=+) P(Y→Z=-) P(X→Z=+) + P(X→Y=-) P(Y→Z=+) P(X→Z=+)

   and the loss is ``-log(1 - v)``, averaged over the paths. A neutral edge never
   violates anything: two texts about A-B and B-C do not oblige a third to take a side,
   and a stricter constraint is what Wen et al. found to hurt.

``train.consistency_weight`` scales the loss (0 turns it off) and
``train.consistency_triangles`` sets how many triangles each step samples.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, permutations

import torch

from stance.names import fold
from stance.schema import StanceExample

#: (dataset row, pair slot in that row): where one directed edge is scored.
Slot = tuple[int, int]


def actor_key(name: str) -> str:
    """The name actors are matched by across texts: ``"the U.S.'s"`` -> ``"u.s."``."""
    key = " ".join(fold(name).split())
    for suffix in ("'s", "’s"):
        key = key.removesuffix(suffix)
    return key.removeprefix("the ").strip()


@dataclass
class Triangles:
    """The actor triangles of a prepared training split, and where each edge is scored."""

    edges: dict[tuple[str, str], list[Slot]]
    triangles: list[tuple[str, str, str]]

    @classmethod
    def find(cls, rows: Sequence[Sequence[int]], examples: Sequence[StanceExample]) -> Triangles:
        """Index the directed edges of a split and list its triangles.

        Args:
            rows: For each dataset row, the example index of each of its pairs (the
                prepared dataset's ``rows`` column).
            examples: The split's examples.
        """
        edges: dict[tuple[str, str], list[Slot]] = defaultdict(list)
        neighbours: dict[str, set[str]] = defaultdict(set)
        for row, example_rows in enumerate(rows):
            for slot, index in enumerate(example_rows):
                ex = examples[index]
                x, y = actor_key(ex.source), actor_key(ex.target)
                if x and y and x != y:
                    edges[(x, y)].append((row, slot))
                    neighbours[x].add(y)
                    neighbours[y].add(x)
        triangles = []
        for a in sorted(neighbours):
            later = sorted(n for n in neighbours[a] if n > a)
            for b, c in combinations(later, 2):
                if c in neighbours[b]:
                    triangles.append((a, b, c))
        return cls(dict(edges), triangles)

    def sample(self, k: int, rng: random.Random) -> tuple[list[int], list[tuple[Slot, Slot, Slot]]]:
        """Sample ``k`` triangles: the dataset rows to encode, and every directed path
        X→Y→Z among them as the slots of (X→Y, Y→Z, X→Z).

        For each pair of a triangle one text is drawn; its other direction is read from
        the same text when that text scores it (all-pairs mode), so a triangle costs
        three encoder passes there.
        """
        paths: list[tuple[Slot, Slot, Slot]] = []
        for triangle in rng.sample(self.triangles, min(k, len(self.triangles))):
            chosen: dict[tuple[str, str], Slot] = {}
            for x, y in combinations(triangle, 2):
                forward = rng.choice(self.edges[(x, y)]) if (x, y) in self.edges else None
                backward = [s for s in self.edges.get((y, x), []) if forward and s[0] == forward[0]]
                if forward:
                    chosen[(x, y)] = forward
                if backward:
                    chosen[(y, x)] = backward[0]
                elif (y, x) in self.edges:
                    chosen[(y, x)] = rng.choice(self.edges[(y, x)])
            for x, y, z in permutations(triangle):
                if (x, y) in chosen and (y, z) in chosen and (x, z) in chosen:
                    paths.append((chosen[(x, y)], chosen[(y, z)], chosen[(x, z)]))
        rows = sorted({row for path in paths for row, _ in path})
        return rows, paths


def path_index(
    rows: Sequence[int], paths: Sequence[tuple[Slot, Slot, Slot]], pair_counts: Sequence[int]
) -> torch.Tensor:
    """``[N, 3]`` positions of each path's edges among the pairs of ``rows`` encoded in
    that order (as :func:`training.train.make_batch` lays them out)."""
    offsets, total = {}, 0
    for row in rows:
        offsets[row] = total
        total += pair_counts[row]
    return torch.tensor(
        [[offsets[row] + slot for row, slot in path] for path in paths], dtype=torch.long
    ).reshape(-1, 3)


def transitivity_loss(
    logits: torch.Tensor, paths: torch.Tensor, support: int, oppose: int
) -> torch.Tensor:
    """``-log(1 - v)`` averaged over paths, ``v`` the probability of a sign inconsistency.

    Args:
        logits: ``[P, n_labels]`` logits of the scored pairs.
        paths: ``[N, 3]`` rows into ``logits``: X→Y, Y→Z, X→Z.
        support, oppose: The label ids of the two signs.
    """
    probs = logits.float().softmax(-1)
    plus, minus = probs[:, support], probs[:, oppose]
    xy, yz, xz = paths.unbind(-1)
    violation = (
        plus[xy] * plus[yz] * minus[xz]
        + minus[xy] * minus[yz] * minus[xz]
        + plus[xy] * minus[yz] * plus[xz]
        + minus[xy] * plus[yz] * plus[xz]
    )
    # An epsilon, not a clamp: a clamp would cut the gradient of a confidently wrong path.
    return -torch.log(1 - violation + 1e-6).mean()
