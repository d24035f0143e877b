"""The model's random streams, made quickly: the same generators as numpy's seeding, in bulk.

A run draws from one stream per process and month: ``PCG64(SeedSequence(seed, spawn_key=(stream,
month)))``. Made one by one, numpy's seeding costs about 25 microseconds a stream (some 1,000 a
run). :class:`StreamTable` does the SeedSequence hashing for every (stream, month) of a run at
once over numpy arrays, and seeds the PCG64 state from it when a stream is asked for, so each
stream is the one numpy would make, bit for bit (``tests/test_streams.py`` holds it to numpy's).
The algorithms are those of numpy's ``bit_generator.pyx`` (SeedSequence, after M. E. O'Neill's
seed_seq) and ``pcg64.c`` (``pcg_setseq_128_srandom_r``).
"""

from __future__ import annotations

import numpy as np

# SeedSequence's constants (numpy/random/bit_generator.pyx)
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MASK32 = 0xFFFFFFFF
_MIX_MULT_L = np.uint32(0xCA01F9DD)
_MIX_MULT_R = np.uint32(0x4973F715)
_XSHIFT = np.uint32(16)
_POOL_SIZE = 4
# PCG64's multiplier (numpy/random/src/pcg64/pcg64.h)
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MASK128 = (1 << 128) - 1


def _words(value: int) -> list[int]:
    """An integer as SeedSequence reads it: 32-bit words, least significant first."""
    if value < 0:
        raise ValueError("seeds are non-negative")
    words = []
    while True:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
        if not value:
            return words


def _pools(entropy: np.ndarray) -> np.ndarray:
    """SeedSequence's mixed pool (4 words) of each row of ``entropy`` (rows of uint32 words)."""
    n_words = entropy.shape[1]
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK32  # the multiplier moves on (mod 2^32)
        value = value * np.uint32(hash_const)
        return value ^ (value >> _XSHIFT)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = _MIX_MULT_L * x - _MIX_MULT_R * y
        return result ^ (result >> _XSHIFT)

    zero = np.zeros(entropy.shape[0], dtype=np.uint32)
    pool = [hashmix(entropy[:, i] if i < n_words else zero) for i in range(_POOL_SIZE)]
    for src in range(_POOL_SIZE):
        for dst in range(_POOL_SIZE):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL_SIZE, n_words):
        for dst in range(_POOL_SIZE):
            pool[dst] = mix(pool[dst], hashmix(entropy[:, src]))
    return np.stack(pool, axis=1)


def _states(pool: np.ndarray) -> np.ndarray:
    """``generate_state(4, uint64)`` of each pool: rows of 4 uint64 (seed high, low, inc...)."""
    hash_const = _INIT_B
    words = np.empty((pool.shape[0], 8), dtype=np.uint32)
    for i in range(8):
        value = pool[:, i % _POOL_SIZE] ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_B) & _MASK32
        value = value * np.uint32(hash_const)
        words[:, i] = value ^ (value >> _XSHIFT)
    low, high = words[:, 0::2].astype(np.uint64), words[:, 1::2].astype(np.uint64)
    return low | (high << np.uint64(32))


def pcg64_state(seed_words: np.ndarray) -> dict:
    """The PCG64 state numpy sets from ``generate_state(4, uint64)`` (``seed_words``)."""
    s0, s1, i0, i1 = seed_words.tolist() if isinstance(seed_words, np.ndarray) else seed_words
    initstate, initseq = (s0 << 64) | s1, (i0 << 64) | i1
    inc = ((initseq << 1) | 1) & _MASK128
    state = inc  # 0 * mult + inc
    state = (state + initstate) & _MASK128
    state = (state * _PCG_MULT + inc) & _MASK128
    return {
        "bit_generator": "PCG64",
        "state": {"state": state, "inc": inc},
        "has_uint32": 0,
        "uinteger": 0,
    }


class StreamTable:
    """Generators ``PCG64(SeedSequence(seed, spawn_key=(stream, month)))`` for a whole run.

    Args:
        seed: the run's seed.
        n_streams: streams per month (keys 0 to n_streams - 1).
        n_months: months (keys 0 to n_months - 1).

    """

    def __init__(self, seed: int, n_streams: int, n_months: int):
        seed_words = _words(int(seed))
        if len(seed_words) < _POOL_SIZE:  # numpy pads the run entropy when there is a spawn key
            seed_words += [0] * (_POOL_SIZE - len(seed_words))
        stream, month = np.divmod(np.arange(n_streams * n_months), n_months)
        entropy = np.empty((stream.size, len(seed_words) + 2), dtype=np.uint32)
        entropy[:, : len(seed_words)] = np.array(seed_words, dtype=np.uint32)
        entropy[:, -2] = stream
        entropy[:, -1] = month
        self.seed, self.n_streams, self.n_months = int(seed), n_streams, n_months
        self._seeds = _states(_pools(entropy))
        self._bit_generators: dict[int, np.random.PCG64] = {}

    def generator(self, stream: int, month: int) -> np.random.Generator:
        """The generator of ``stream`` in ``month`` (a fresh one, at its first draw)."""
        if not (0 <= month < self.n_months and 0 <= stream < self.n_streams):
            key = (stream, month)
            return np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key))
            )
        bit_generator = self._bit_generators.get(stream)
        if bit_generator is None:
            bit_generator = self._bit_generators[stream] = np.random.PCG64(0)
        bit_generator.state = pcg64_state(self._seeds[stream * self.n_months + month])
        return np.random.Generator(bit_generator)
