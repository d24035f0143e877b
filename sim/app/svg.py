"""The app's figures as SVG, written directly: vectors the browser draws sharp at any size.

The same figures as :mod:`sim.app.charts` draws with matplotlib (that drawing stays for the PNG
downloads), from the same numbers (:func:`~sim.app.charts.band_lines`): each ensemble's median
and 10-90% band with the stated targets, and the parks' map. Writing the SVG takes a few
milliseconds a figure where matplotlib's PNG took 70 (0.5-1.3 s of a Run's seven figures), and
the browser has no large images to decode and scale. Text is set in the page's own font, so
Chinese labels come in the page's CJK font. The legend is HTML beside the drawing (the browser
wraps it: it never covers a line, in any language).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.app.charts import (
    HEADROOM,
    TARGET_COLOR,
    BandLines,
    compact_number,
    occupancy_scale,
    viridis_hex,
)
from sim.lang import park_name, unit
from sim.lang import t as tr

WIDTH, HEIGHT = 460, 260  # the drawing's own units (shown at up to 460 px wide)
LEFT, RIGHT, TOP, BOTTOM = 54, 10, 8, 22  # margins around the plotting area
FONT_PX = 12
BAND_OPACITY = 0.18
TICKS = 5  # about this many y ticks
DASHES = {"-": "", "--": "6 3", "-.": "7 3 2 3", ":": "2 2"}


def nice_ticks(top: float, count: int = TICKS) -> np.ndarray:
    """Round tick values from 0 to at most ``top`` (steps of 1, 2, 2.5 or 5 times 10^k)."""
    if not np.isfinite(top) or top <= 0:
        return np.array([0.0])
    raw = top / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    return np.arange(0, top + step * 1e-9, step)


def _path(x: np.ndarray, y: np.ndarray) -> str:
    """An SVG path through the finite points, broken where a value is missing."""
    out, pen_down = [], False
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        if math.isfinite(yi):
            out.append(f"{'L' if pen_down else 'M'}{xi:.1f},{yi:.1f}")
            pen_down = True
        else:
            pen_down = False
    return "".join(out)


def _band_path(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> str:
    """Closed SVG areas between ``low`` and ``high`` over each run of months both have."""
    have = np.isfinite(low) & np.isfinite(high)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], have.astype(np.int8), [0]])))
    out = []
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        xs, lo, hi = x[start:stop], low[start:stop], high[start:stop]
        upper = _points(xs, hi)
        lower = _points(xs[::-1], lo[::-1])
        out.append(f"M{upper}L{lower}Z")
    return "".join(out)


def _points(x: np.ndarray, y: np.ndarray) -> str:
    return "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x.tolist(), y.tolist(), strict=True))


def _star(cx: float, cy: float, r: float = 6.5) -> str:
    """A five-pointed star's outline (the target's mark, as the PNG's '*')."""
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.42
        angle = math.pi / 2 + i * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.1f},{cy - radius * math.sin(angle):.1f}")
    return " ".join(points)


def _text(x: float, y: float, text: str, anchor: str = "middle", **attributes: str) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{html.escape(text)}</text>'


def band_svg(lines: BandLines, lang: str = "en") -> str:
    """The chart of :func:`~sim.app.charts.band_lines`: an SVG element (no legend)."""
    years = lines.years
    start, last = int(years[0]), int(np.ceil(years[-1]))
    top = max(lines.highest, 1.0) * HEADROOM
    ticks = nice_ticks(top)
    top = max(top, float(ticks[-1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(year: np.ndarray | float) -> np.ndarray | float:
        return LEFT + (np.asarray(year) - start) / max(last - start, 1) * plot_w

    def sy(value: np.ndarray | float) -> np.ndarray | float:
        return TOP + plot_h - np.asarray(value) / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-size="{FONT_PX}" font-family="inherit" role="img">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999" stroke-width="0.8"/>',
    ]
    grid = [f"M{LEFT},{sy(v):.1f}H{LEFT + plot_w}" for v in ticks[1:]]
    grid += [f"M{sx(y):.1f},{TOP}V{TOP + plot_h}" for y in range(start + 1, last)]
    parts.append(f'<path d="{"".join(grid)}" stroke="#ccc" stroke-width="0.6" fill="none"/>')
    for v in ticks:
        parts.append(
            _text(LEFT - 4, float(sy(v)) + FONT_PX * 0.35, compact_number(float(v)), "end")
        )
    labelled = range(start, last, 2 if last - start > 6 else 1)
    for y in labelled:  # a year's label in the middle of its span: December is in its year
        parts.append(_text(float(sx(y + 0.5)), HEIGHT - 6, str(y), class_="year"))
    x = sx(years)
    for series in lines.series:
        parts.append(
            f'<path class="band" d="{_band_path(x, sy(series.low), sy(series.high))}" '
            f'fill="{series.colour}" fill-opacity="{BAND_OPACITY}" stroke="none"/>'
        )
    for series in lines.series:
        width = 2.0 if series.style == "-" else 1.5
        dash = DASHES.get(series.style, "")
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path class="median" d="{_path(x, sy(series.mid))}" fill="none" '
            f'stroke="{series.colour}" stroke-width="{width}"{dashes}>'
            f"<title>{html.escape(series.label)}</title></path>"
        )
    for year, value in lines.targets:
        y = float(sy(value))
        end = float(sx(year + 1))
        parts.append(
            f'<path d="M{LEFT},{y:.1f}H{end:.1f}" stroke="{TARGET_COLOR}" stroke-width="1.3" '
            f'stroke-dasharray="{DASHES[":"]}" fill="none"/>'
            f'<polygon class="target" data-year="{year}" points="{_star(end, y)}" '
            f'fill="{TARGET_COLOR}"><title>'
            f"{html.escape(tr('{years} target', lang, years=str(year)))}: "
            f"{compact_number(value)}</title></polygon>"
        )
    parts.append("</svg>")
    return "".join(parts)


def legend_html(lines: BandLines, lang: str = "en") -> str:
    """The chart's key as HTML: a swatch and a label for each line, the target, the band."""
    items = []
    for series in lines.series:
        dash = DASHES.get(series.style, "")
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        items.append(
            _swatch(
                f'<path d="M1,6H21" stroke="{series.colour}" stroke-width="2.2"{dashes}/>',
                series.label,
            )
        )
    if lines.targets:
        label = tr("{years} target", lang, years="/".join(str(y) for y, _ in lines.targets))
        items.append(
            _swatch(
                f'<path d="M1,6H21" stroke="{TARGET_COLOR}" stroke-dasharray="2 2"/>'
                f'<polygon points="{_star(11, 6, 5)}" fill="{TARGET_COLOR}"/>',
                label,
            )
        )
    low, high = lines.band
    items.append(
        _swatch(
            '<rect x="1" y="1" width="20" height="10" fill="#808080" fill-opacity="0.3"/>',
            tr("{low}-{high}% of seeds", lang, low=low, high=high),
        )
    )
    return f'<div class="cqsim-legend">{"".join(items)}</div>'


def _swatch(drawing: str, label: str) -> str:
    return (
        '<span><svg width="22" height="12" viewBox="0 0 22 12" aria-hidden="true">'
        f"{drawing}</svg>{html.escape(label)}</span>"
    )


def chart_html(title: str, lines: BandLines, lang: str = "en") -> str:
    """A chart card's content: its title, its key and its drawing."""
    return (
        f'<div class="cqsim-chart-title">{html.escape(title)}</div>'
        f"{legend_html(lines, lang)}{band_svg(lines, lang)}"
    )


PARK_W, PARK_H = 300, 300
PARK_MARGIN = 26  # around the parks' positions
BAR_Y, BAR_H = 262, 9  # the occupancy colour bar
PARK_R_MIN, PARK_R_MAX = 6.5, 20.0  # a park's radius: the smallest holds its number


def park_svg(parks: pd.DataFrame, title: str, lang: str = "en") -> str:
    """The parks' map as SVG: position, revenue as area, occupancy as colour, numbered.

    Science City parks are diamonds. The same encoding as :func:`~sim.app.charts.park_figure`.
    """
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {PARK_W} {PARK_H}" '
        f'font-size="{FONT_PX - 1}" font-family="inherit" role="img">',
        _text(4, 13, title, "start", font_weight="bold"),
    ]
    if parks["revenue_bn_yuan"].isna().all():
        parts.append(_text(PARK_W / 2, PARK_H / 2, tr("Not run yet", lang)))
        return "".join(parts) + "</svg>"
    low, high = occupancy_scale(parks["occupancy"])
    top = max(float(parks["revenue_bn_yuan"].fillna(0).max()), 1e-9)
    x, y = parks["x"].to_numpy(float), parks["y"].to_numpy(float)
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    area_h = BAR_Y - 30 - 24  # between the title and the bar's label

    def place(values: np.ndarray, lowest: float, size: float, flip: bool) -> np.ndarray:
        scaled = (values - lowest) / span * (size - 2 * PARK_MARGIN)
        return (size - PARK_MARGIN - scaled) if flip else (PARK_MARGIN + scaled)

    px = place(x, float(x.min()), PARK_W, False)
    py = 24 + place(y, float(y.min()), area_h, True)
    colours = viridis_hex(parks["occupancy"].to_numpy(float), low, high)
    for i, row in enumerate(parks.itertuples()):
        share = (row.revenue_bn_yuan if np.isfinite(row.revenue_bn_yuan) else 0.0) / top
        r = math.sqrt(PARK_R_MIN**2 + (PARK_R_MAX**2 - PARK_R_MIN**2) * share)  # area ~ revenue
        revenue = f"{compact_number(row.revenue_bn_yuan)} {unit('bn yuan', lang)}"
        name = html.escape(f"{i + 1}: {park_name(row.park, row.name, lang, short=True)}, {revenue}")
        tip = f"<title>{name}, {row.occupancy:.0%}</title>"
        common = f'fill="{colours[i]}" fill-opacity="0.85" stroke="#333" stroke-width="0.7"'
        if row.science_city:
            d = r * 1.15
            cx, cy = px[i], py[i]
            parts.append(
                f'<polygon class="park" points="{cx:.1f},{cy - d:.1f} {cx + d:.1f},{cy:.1f} '
                f'{cx:.1f},{cy + d:.1f} {cx - d:.1f},{cy:.1f}" {common}>{tip}</polygon>'
            )
        else:
            parts.append(
                f'<circle class="park" cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="{r:.1f}" '
                f"{common}>{tip}</circle>"
            )
        parts.append(  # a white halo: legible on the darkest colour as on the lightest
            _text(
                px[i],
                py[i] + 3.5,
                str(i + 1),
                font_size="9",
                stroke="white",
                stroke_width="2",
                paint_order="stroke",
            )
        )
    stops = "".join(
        f'<stop offset="{s:.2f}" stop-color="{c}"/>'
        for s, c in zip(
            np.linspace(0, 1, 11), viridis_hex(np.linspace(low, high, 11), low, high), strict=True
        )
    )
    bar_x, bar_w = 20, PARK_W - 40
    parts.append(
        f'<defs><linearGradient id="cqsim-viridis">{stops}</linearGradient></defs>'
        f'<rect x="{bar_x}" y="{BAR_Y}" width="{bar_w}" height="{BAR_H}" '
        'fill="url(#cqsim-viridis)" stroke="#666" stroke-width="0.5"/>'
    )
    for value in _percent_ticks(low, high):
        at = bar_x + (value - low) / (high - low) * bar_w
        parts.append(_text(at, BAR_Y - 3, f"{value:.0%}"))
    parts.append(_text(PARK_W / 2, BAR_Y + BAR_H + 13, tr("occupancy of office space", lang)))
    parts.append("</svg>")
    return "".join(parts)


def _percent_ticks(low: float, high: float) -> Sequence[float]:
    step = 0.1 if high - low <= 0.5 else 0.2
    return [v for v in np.arange(0.0, 1.0 + 1e-9, step) if low - 1e-9 <= v <= high + 1e-9]
