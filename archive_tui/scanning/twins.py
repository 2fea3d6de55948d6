"""Twin pages (重复页): pairs of pages whose perceptual hashes differ in few bits.

Hashes are 256 bits, held as four 64-bit words per page. Within one household file every
pair is compared (a file has tens of pages). Across a county's millions of pages the
pigeonhole principle keeps it quick: cut the bits into ``d + 1`` pieces; two hashes at most
``d`` bits apart agree on at least one piece whole, so only pages sharing a piece are
compared, pair by pair within each group of equal pieces, all groups at once with numpy.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

WORDS = 4  # 64-bit words in a 256-bit hash


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


def _pieces(max_distance: int) -> list[np.ndarray]:
    """The 256 bit positions cut into ``max_distance + 1`` pieces of nearly equal width (as long as
    the pigeonhole allows: the longer a piece, the fewer pages share its value by chance)."""
    return np.array_split(np.arange(WORDS * 64), min(max_distance + 1, WORDS * 64))


def _piece_keys(bits: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """Each page's value of one piece, as a number."""
    return bits[:, piece].astype(np.int64) @ (np.int64(1) << np.arange(len(piece), dtype=np.int64))


def pairs_between(hashes: np.ndarray, owners: np.ndarray, max_distance: int) -> dict[tuple[int, int], int]:
    """{(i, j): distance} with i < j for pages of different owners (household files) at most
    ``max_distance`` apart."""
    if len(hashes) < 2:
        return {}
    bits = np.unpackbits(hashes.astype(">u8").view(np.uint8).reshape(len(hashes), -1), axis=1)
    found = [_pairs_sharing(_piece_keys(bits, piece), hashes, owners, max_distance)
             for piece in _pieces(max_distance)]
    pairs = np.concatenate(found) if found else np.zeros((0, 3), dtype=np.int64)
    pairs = np.unique(pairs, axis=0)  # a pair that shares several pieces is found once per piece
    return {(int(i), int(j)): int(apart) for i, j, apart in pairs}


def _pairs_sharing(keys: np.ndarray, hashes: np.ndarray, owners: np.ndarray, max_distance: int) -> np.ndarray:
    """(i, j, distance) rows for the pages with the same key, of different owners, close enough.

    The pages are sorted by key; the k-th step compares each page with the one k places after it,
    as long as both still have the same key, so every pair of a group is looked at once, with
    no loop over the groups (a village has thousands)."""
    order = np.argsort(keys, kind="stable")
    ordered, near_hashes, near_owners = keys[order], hashes[order], owners[order]  # a group's pages side by side
    found = []
    place = np.flatnonzero(ordered[1:] == ordered[:-1])  # pages whose next page has the same key
    step = 1
    while place.size:
        apart = _distance_within(near_hashes, place, place + step, max_distance)
        near = (apart <= max_distance) & (near_owners[place] != near_owners[place + step])
        if near.any():
            first, second = order[place[near]], order[place[near] + step]
            found.append(np.column_stack([np.minimum(first, second), np.maximum(first, second), apart[near]]))
        step += 1
        place = place[place + step < len(ordered)]
        place = place[ordered[place + step] == ordered[place]]
    return np.concatenate(found) if found else np.zeros((0, 3), dtype=np.int64)


def _distance_within(hashes: np.ndarray, first: np.ndarray, second: np.ndarray, max_distance: int) -> np.ndarray:
    """Bits that differ between rows ``first`` and ``second``, word by word; a pair already further
    apart than ``max_distance`` is not counted on (most pairs of a group are two pages of one form)."""
    apart = np.zeros(len(first), dtype=np.int64)
    alive = np.arange(len(first))
    for word in range(WORDS):
        apart[alive] += np.bitwise_count(hashes[first[alive], word] ^ hashes[second[alive], word])
        alive = alive[apart[alive] <= max_distance]
        if not alive.size:
            break
    return apart
