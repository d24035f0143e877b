"""The bulk-made random streams are numpy's own, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.streams import StreamTable


def numpy_stream(seed: int, stream: int, month: int) -> np.random.Generator:
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, month)))
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.one_of(st.integers(0, 2**32 + 2000), st.integers(0, 2**96)),
    stream=st.integers(0, 9),
    month=st.integers(0, 400),
)
def test_each_stream_is_numpys_seed_sequence_stream(seed, stream, month):
    table = StreamTable(seed, 10, 401)
    ours = table.generator(stream, month)
    assert np.array_equal(ours.random(4), numpy_stream(seed, stream, month).random(4))


def test_a_stream_asked_again_starts_afresh_and_outside_the_table_is_still_numpys():
    table = StreamTable(5, 3, 12)
    first = table.generator(1, 4).random(3)
    table.generator(1, 5).random(7)
    assert np.array_equal(table.generator(1, 4).random(3), first)
    assert np.array_equal(table.generator(2, 40).random(3), numpy_stream(5, 2, 40).random(3))
