"""The app's SVG figures: what they show, where, and that a browser can read them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.app.charts import CHARTS, band_lines, park_state
from sim.app.ensemble import run_ensemble
from sim.app.live import start_scenario
from sim.app.svg import (
    HEIGHT,
    LEFT,
    RIGHT,
    WIDTH,
    band_svg,
    chart_html,
    legend_html,
    nice_ticks,
    park_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def ensembles():
    start = run_ensemble(start_scenario("baseline"), 2, workers=2)
    package = run_ensemble(start_scenario("talent_package"), 2, workers=2)
    return start, package


def _series(ensembles, label="this run"):
    start, package = ensembles
    return [(label, package, "#0072b2", "-"), ("baseline", start, "0.35", "--")]


def _svg(text: str) -> ET.Element:
    """The drawing, parsed as XML (what the browser parses): fails if it is not well-formed."""
    return ET.fromstring(text)


def test_a_chart_puts_december_2025_in_the_span_labelled_2025(ensembles):
    metric, how, _ = next(c for c in CHARTS if c[0] == "revenue_bn_yuan")
    lines = band_lines(metric, how, _series(ensembles))
    root = _svg(band_svg(lines))
    (star,) = [p for p in root.iter(f"{SVG}polygon") if p.get("data-year") == "2025"]
    xs = [float(point.split(",")[0]) for point in star.get("points").split()]
    star_x = (max(xs) + min(xs)) / 2
    labels = {
        float(t.get("x")): t.text for t in root.iter(f"{SVG}text") if t.get("class") == "year"
    }
    # the labelled spans: each label in the middle of its year; the star at that year's end
    span = (WIDTH - LEFT - RIGHT) / (2031 - 2021)
    label_x = min(labels, key=lambda x: abs(x - (star_x - span / 2)))
    assert labels[label_x] == "2025", (star_x, labels)
    assert abs(label_x + span / 2 - star_x) < 0.2


def test_a_chart_draws_a_band_and_a_median_for_each_run_below_its_top_tick(ensembles):
    metric, how, _ = next(c for c in CHARTS if c[0] == "workforce")
    lines = band_lines(metric, how, _series(ensembles))
    root = _svg(band_svg(lines))
    paths = list(root.iter(f"{SVG}path"))
    bands = [p for p in paths if p.get("class") == "band"]
    medians = [p for p in paths if p.get("class") == "median"]
    assert len(bands) == len(medians) == 2
    assert [m.get("stroke") for m in medians] == ["#0072b2", "#595959"]  # CSS colours
    assert medians[1].get("stroke-dasharray")  # the starting scenario dashed
    # every point inside the drawing: the y axis reaches above the highest value shown
    for path in bands + medians:
        numbers = np.array([float(v) for v in re.findall(r"-?\d+\.?\d*", path.get("d"))])
        x, y = numbers[0::2], numbers[1::2]
        assert x.min() >= LEFT - 0.1 and x.max() <= WIDTH - RIGHT + 0.1
        assert y.min() >= 0 and y.max() <= HEIGHT
    # one point per month with a value
    points = len(re.findall(r"[ML]", medians[0].get("d")))
    assert points == np.isfinite(lines.series[0].mid).sum() == len(lines.years)


def test_a_12_month_sum_starts_in_its_twelfth_month(ensembles):
    metric, how, _ = next(c for c in CHARTS if c[0] == "revenue_bn_yuan")
    lines = band_lines(metric, how, _series(ensembles))
    assert np.isnan(lines.series[0].mid[:11]).all() and np.isfinite(lines.series[0].mid[11:]).all()
    median = next(p for p in _svg(band_svg(lines)).iter(f"{SVG}path") if p.get("class") == "median")
    assert len(re.findall(r"[ML]", median.get("d"))) == len(lines.years) - 11


@settings(max_examples=25, deadline=None)
@given(  # printable text (names hold no control characters, which XML cannot either)
    label=st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
)
def test_names_are_text_in_the_figure_whatever_they_hold(ensembles, label):
    """A scenario name with <, & or quotes is shown as written, never taken for markup."""
    metric, how, title = CHARTS[0]
    lines = band_lines(metric, how, _series(ensembles, label))
    page = chart_html(title + label, lines)
    root = ET.fromstring(f"<div>{page}</div>")  # well-formed, with the name inside
    shown = "".join(root.find("div[@class='cqsim-legend']").itertext())
    assert label in shown
    assert label in "".join(root.find(f"{SVG}svg").itertext())  # the median's tip


@settings(max_examples=200, deadline=None)
@given(top=st.floats(1e-6, 1e12))
def test_ticks_are_round_steps_from_zero_to_the_top(top):
    ticks = nice_ticks(top)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] <= top * (1 + 1e-9)
    assert ticks[-1] + step > top * (1 - 1e-9)  # no round step left out
    assert 3 <= len(ticks) <= 11
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5, 10))


def test_the_key_names_each_run_the_target_and_the_band(ensembles):
    lines = band_lines("workforce", "level", _series(ensembles))
    key = ET.fromstring(legend_html(lines))
    words = ["".join(span.itertext()) for span in key]
    assert words == ["this run", "baseline", "2025 target", "10-90% of seeds"]
    zh = ["".join(span.itertext()) for span in ET.fromstring(legend_html(lines, "zh"))]
    assert zh[2] != "2025 target" and "2025" in zh[2]


def test_the_parks_map_numbers_each_park_in_the_tables_order(ensembles):
    start, _ = ensembles
    run = start.median_run()
    parks = park_state(run)
    root = _svg(park_svg(parks, "parks"))
    shapes = [e for e in root.iter() if e.get("class") == "park"]
    assert len(shapes) == len(parks)
    diamonds = [e.tag == f"{SVG}polygon" for e in shapes]
    assert diamonds == parks["science_city"].tolist()  # Science City parks are diamonds
    tips = [e.find(f"{SVG}title").text for e in shapes]
    assert [t.split(":")[0] for t in tips] == [str(i + 1) for i in range(len(parks))]
    # larger revenue, larger shape
    size = [float(e.get("r")) if e.get("r") else 0.0 for e in shapes]
    circles = [
        (s, r) for s, r, d in zip(size, parks["revenue_bn_yuan"], diamonds, strict=True) if not d
    ]
    ordered = sorted(circles, key=lambda c: c[1])
    assert [s for s, _ in ordered] == sorted(s for s, _ in ordered)
