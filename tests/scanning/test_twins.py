"""Twin search: the pigeonhole search across files finds exactly the pairs a comparison of
every page with every other finds, for hashes near and far."""

from __future__ import annotations

import random

import numpy as np
import pytest

from archive_tui.scanning.twins import as_words, distances, pairs_between, pairs_within


def flipped(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return value


def hashes_with_twins(seed: int, count: int = 300) -> list[str]:
    rng = random.Random(seed)
    values = [rng.getrandbits(256) for _ in range(count // 2)]
    values += [flipped(rng.choice(values), rng.randint(0, 24), rng) for _ in range(count - len(values))]
    return [f"{value:064x}" for value in values]


def brute_force(hashes: np.ndarray, owners: np.ndarray, limit: int) -> dict[tuple[int, int], int]:
    apart = distances(hashes, hashes)
    return {(i, j): int(apart[i, j]) for i in range(len(hashes)) for j in range(i + 1, len(hashes))
            if apart[i, j] <= limit and owners[i] != owners[j]}


@pytest.mark.parametrize(("seed", "limit"), [(1, 0), (2, 3), (3, 10), (4, 17), (5, 24)])
def test_the_search_across_files_finds_what_comparing_every_pair_finds(seed, limit):
    words = as_words(hashes_with_twins(seed))
    owners = np.array([index % 7 for index in range(len(words))])
    assert pairs_between(words, owners, limit) == brute_force(words, owners, limit)


def test_pages_of_one_file_are_never_twins_across_files():
    words = as_words(["ab" * 32, "ab" * 32, "cd" * 32])
    assert pairs_between(words, np.array([1, 1, 2]), 5) == {}
    assert pairs_between(words, np.array([1, 2, 2]), 5) == {(0, 1): 0}


def test_within_a_file_each_pair_is_reported_once_with_its_distance():
    words = as_words([f"{1:064x}", f"{3:064x}", f"{(1 << 255) | 1:064x}"])
    assert list(pairs_within(words, 1)) == [(0, 1, 1), (0, 2, 1)]
    assert list(pairs_within(words, 2)) == [(0, 1, 1), (0, 2, 1), (1, 2, 2)]


def test_pages_of_a_few_forms_are_searched_exactly_though_most_share_pieces():
    """A village's pages are variants of a few printed forms: most pages share many pieces of
    their hash with hundreds of others, and the search still finds exactly every close pair."""
    rng = random.Random(7)
    forms = [rng.getrandbits(256) for _ in range(3)]
    values = [flipped(forms[index % 3], rng.randint(25, 40), rng) for index in range(600)]
    values += [flipped(rng.choice(values), rng.randint(0, 12), rng) for _ in range(40)]  # rescans
    words = as_words([f"{value:064x}" for value in values])
    owners = np.array([index // 5 for index in range(len(words))])
    found = pairs_between(words, owners, 20)
    assert found == brute_force(words, owners, 20) and len(found) >= 30
