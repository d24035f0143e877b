"""Shapley values: a total effect split fairly among the players that made it."""

from __future__ import annotations

from itertools import combinations
from math import factorial


def shapley(values: dict[frozenset[str], float], players: list[str]) -> dict[str, float]:
    """Shapley value of each player given v(S) for every subset S of the players."""
    n = len(players)
    out = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for subset in combinations(others, size):
                s = frozenset(subset)
                total += weight * (values[s | {player}] - values[s])
        out[player] = total
    return out
