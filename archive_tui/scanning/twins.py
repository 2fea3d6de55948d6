"""Twin pages (重复页): pairs of pages whose perceptual hashes differ in few bits.

Hashes are 256 bits, held as four 64-bit words per page. Within one household file every
pair is compared (a file has tens of pages). Across a county's millions of pages the
pigeonhole principle keeps it quick: cut the bits into ``d + 1`` pieces; two hashes at most
``d`` bits apart agree on at least one piece whole, so only pages sharing a piece are
compared, in blocks, with numpy.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

WORDS = 4  # 64-bit words in a 256-bit hash
BLOCK, COLUMNS = 256, 4096  # a bucket of many alike pages is compared in pieces of 256 × 4096 (about 32 MB)


def as_words(hashes: list[str]) -> np.ndarray:
    """(n, 4) unsigned words from hex hashes of 256 bits (shorter hashes are padded with zeros)."""
    if not hashes:
        return np.zeros((0, WORDS), dtype=np.uint64)
    raw = bytes.fromhex("".join(value.rjust(WORDS * 16, "0") for value in hashes))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, WORDS)


def distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Bits that differ, every row of ``first`` against every row of ``second``."""
    return np.bitwise_count(first[:, None, :] ^ second[None, :, :]).sum(axis=2, dtype=np.int64)


def pairs_within(hashes: np.ndarray, max_distance: int) -> Iterator[tuple[int, int, int]]:
    """(i, j, distance) with i < j for every pair at most ``max_distance`` apart: one file's pages."""
    if len(hashes) < 2:
        return
    apart = distances(hashes, hashes)
    rows, columns = np.nonzero(np.triu(apart <= max_distance, k=1))
    for i, j in zip(rows.tolist(), columns.tolist()):
        yield i, j, int(apart[i, j])


def _pieces(max_distance: int) -> list[tuple[int, int, int]]:
    """(word, shift, width) of at least ``max_distance + 1`` pieces, none across two words."""
    per_word = -(-(max_distance + 1) // WORDS)
    widths = [64 // per_word + (1 if index < 64 % per_word else 0) for index in range(per_word)]
    shifts = np.cumsum([0, *widths[:-1]]).tolist()
    return [(word, shift, width) for word in range(WORDS) for shift, width in zip(shifts, widths)]


def pairs_between(hashes: np.ndarray, owners: np.ndarray, max_distance: int) -> dict[tuple[int, int], int]:
    """{(i, j): distance} with i < j for pages of different owners (household files) at most
    ``max_distance`` apart."""
    found: dict[tuple[int, int], int] = {}
    for word, shift, width in _pieces(max_distance):
        mask = np.uint64((1 << width) - 1) if width < 64 else np.uint64(0xFFFFFFFFFFFFFFFF)
        keys = (hashes[:, word] >> np.uint64(shift)) & mask
        order = np.argsort(keys, kind="stable")
        edges = np.flatnonzero(np.diff(keys[order])) + 1
        for bucket in np.split(order, edges):
            if len(bucket) > 1:
                _compare_bucket(bucket, hashes, owners, max_distance, found)
    return found


def _compare_bucket(bucket: np.ndarray, hashes: np.ndarray, owners: np.ndarray, max_distance: int,
                    found: dict[tuple[int, int], int]) -> None:
    for start in range(0, len(bucket), BLOCK):
        rows = bucket[start:start + BLOCK]
        for column_start in range(start, len(bucket), COLUMNS):  # each pair once: columns from the rows' start
            columns = bucket[column_start:column_start + COLUMNS]
            apart = distances(hashes[rows], hashes[columns])
            near = (apart <= max_distance) & (owners[rows][:, None] != owners[columns][None, :])
            for row, column in zip(*np.nonzero(near)):
                i, j = sorted((int(rows[row]), int(columns[column])))
                found[(i, j)] = int(apart[row, column])
