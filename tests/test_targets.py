"""The words a probability of meeting a target is given, the same everywhere."""

from __future__ import annotations

import pytest

from sim.targets import verdict


@pytest.mark.parametrize(
    ("prob", "words"),
    [(1.0, "met"), (0.9, "met"), (0.7, "likely"), (0.5, "as likely as not"), (0.2, "unlikely")],
)
def test_a_coin_toss_is_not_called_likely(prob, words):
    assert verdict(prob) == words


def test_no_figure_no_verdict():
    assert verdict(float("nan")) == "not in run"
