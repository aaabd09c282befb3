"""Bounded tracking of distinct values that gives the same result whatever order records arrive in.

An attribute keeps its distinct values exactly while there are at most `capacity` of them. Beyond
that it keeps the `capacity` values with the smallest stable hashes (a "bottom-k" sample): a value
in the final sample always hashed below every threshold reached on the way, so it was never
dropped and its statistics are exact, and the sample is the same for any split or order of the
input. The number of distinct values is then estimated from the largest kept hash (the KMV
estimator, relative error about 1/sqrt(capacity)).
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field

HASH_SPACE = 1 << 64
# Shrink back to `capacity` once this many times as many hashes are held: amortises the shrinking.
SLACK = 1.5


def stable_hash(value: str | int) -> int:
    """A 64-bit hash that is the same in every process (Python's own `hash` of a str is not)."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else b"\x00bulk:%d" % value
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


@dataclass
class DistinctSketch:
    """Counts distinct hashes exactly up to `capacity`, and estimates the count beyond it."""

    capacity: int
    hashes: set[int] = field(default_factory=set)
    threshold: int | None = None  # hashes above it can no longer be among the smallest `capacity`

    def admits(self, value_hash: int) -> bool:
        return self.threshold is None or value_hash <= self.threshold

    def add(self, value_hash: int) -> bool:
        """Note a hash; True when it may still be in the final sample, False when it never will."""
        if not self.admits(value_hash):
            return False
        self.hashes.add(value_hash)
        if len(self.hashes) > SLACK * self.capacity:
            self.shrink()
        return True

    def merge(self, other: DistinctSketch) -> None:
        """Take in a sketch of other values: the same state as one sketch that saw both sets of values."""
        thresholds = [t for t in (self.threshold, other.threshold) if t is not None]
        self.threshold = min(thresholds) if thresholds else None
        self.hashes = {h for h in self.hashes | other.hashes if self.admits(h)}
        self.shrink()

    def shrink(self) -> None:
        if len(self.hashes) > self.capacity:
            kept = heapq.nsmallest(self.capacity, self.hashes)
            self.hashes = set(kept)
            self.threshold = kept[-1]

    def count(self) -> tuple[int, bool]:
        """(number of distinct values, whether exact): exact below capacity, else the KMV estimate."""
        self.shrink()
        if self.threshold is None:
            return len(self.hashes), True
        return max(len(self.hashes), round((self.capacity - 1) * HASH_SPACE / (self.threshold + 1))), False
