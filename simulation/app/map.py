"""The map: states at fixed positions (``layout``), coloured by institution, sized by
capability, leaders ringed, this year's disputes and conflicts as lines.

Drawn as one SVG string (a few hundred elements), so a frame costs about a millisecond to
build and nothing is re-laid out: the positions are computed once per world.  Hovering a
state shows its name, memberships, regime, stability and threat (SVG ``<title>``).  Only
active states are drawn (historical worlds: states enter and exit).
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from simulation.app import layout
from simulation.app.style import CONFLICT, DISPUTE, UNALIGNED, institution_colours

WIDTH, HEIGHT, PAD = 560, 380, 18
R_MIN, R_MAX = 2.5, 14.0


def _frame(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Screen coordinates (y up on the map, down in SVG), one scale for both axes."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    scale = min((WIDTH - 2 * PAD) / span[0], (HEIGHT - 2 * PAD) / span[1])
    x = PAD + (xy[:, 0] - lo[0]) * scale + (WIDTH - 2 * PAD - span[0] * scale) / 2
    y = HEIGHT - PAD - (xy[:, 1] - lo[1]) * scale - (HEIGHT - 2 * PAD - span[1] * scale) / 2
    return x, y


#: Geographic map: room for the latitude labels (left) and the longitude labels and the caption
#: (below), pixels.
GEO_LEFT, GEO_BOTTOM = 34, 34


def _degrees(value: float, positive: str, negative: str) -> str:
    v = int(round(value))
    return "0°" if v == 0 else f"{abs(v)}°{positive if v > 0 else negative}"


def _geo_frame(lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, list[str], tuple[float, float]]:
    """Equirectangular screen coordinates of (lon, lat), the picture's height, the graticule
    with its labels (SVG elements), and the screen x of 180 W and 180 E: the frame depends on
    the world only."""
    west, east, south, north = layout.geo_box(lonlat)
    scale = (WIDTH - GEO_LEFT - PAD) / (east - west)
    height = int(math.ceil(PAD + (north - south) * scale + GEO_BOTTOM))

    def sx(lon):
        return GEO_LEFT + (np.asarray(lon) - west) * scale

    def sy(lat):
        return PAD + (north - np.asarray(lat)) * scale

    grid = [f'<rect x="{GEO_LEFT}" y="{PAD}" width="{(east - west) * scale:.1f}" height="{(north - south) * scale:.1f}" fill="#f2f6fa" stroke="#d0d7de" stroke-width="0.6"/>']
    for lon in range(int(west), int(east) + 1, layout.GRID_LON):
        grid.append(f'<line x1="{sx(lon):.1f}" y1="{PAD}" x2="{sx(lon):.1f}" y2="{sy(south):.1f}" stroke="#d0d7de" stroke-width="0.5"/>'
                    f'<text x="{sx(lon):.1f}" y="{sy(south) + 11:.1f}" font-size="9" fill="#777" text-anchor="middle">{_degrees(lon, "E", "W")}</text>')
    for lat in range(int(south), int(north) + 1, layout.GRID_LAT):
        grid.append(f'<line x1="{GEO_LEFT}" y1="{sy(lat):.1f}" x2="{sx(east):.1f}" y2="{sy(lat):.1f}" stroke="#d0d7de" stroke-width="0.5"/>'
                    f'<text x="{GEO_LEFT - 3}" y="{sy(lat) + 3:.1f}" font-size="9" fill="#777" text-anchor="end">{_degrees(lat, "N", "S")}</text>')
    grid.append(f'<text x="{GEO_LEFT + (east - west) * scale / 2:.1f}" y="{sy(south) + 22:.1f}" font-size="9" fill="#777" text-anchor="middle">'
                "longitude (capitals; equirectangular)</text>"
                f'<text x="9" y="{PAD + (north - south) * scale / 2:.1f}" font-size="9" fill="#777" text-anchor="middle" '
                f'transform="rotate(-90 9 {PAD + (north - south) * scale / 2:.1f})">latitude</text>')
    return sx(lonlat[:, 0]), sy(lonlat[:, 1]), height, grid, (float(sx(-180.0)), float(sx(180.0)))


def screen(model) -> tuple[np.ndarray, np.ndarray, int, list[str], tuple[float, float] | None]:
    """Screen x, y of every state slot, the picture's height, its background elements and,
    on a geographic map, the screen x of the antimeridian at both edges."""
    geo = layout.lonlat(model)
    if geo is not None:
        return _geo_frame(geo)
    x, y = _frame(layout.positions(model))
    return x, y, HEIGHT, [], None


def _segments(xa: float, ya: float, xb: float, yb: float, wrap: tuple[float, float] | None) -> list[tuple[float, float, float, float]]:
    """A line between two states; on a world map, across the antimeridian when that way is
    shorter (Tonga-Fiji), as two pieces meeting the map's two edges at the same latitude."""
    if wrap is None or abs(xa - xb) <= (wrap[1] - wrap[0]) / 2:
        return [(xa, ya, xb, yb)]
    (xl, yl), (xr, yr) = sorted(((xa, ya), (xb, yb)))
    left, right = xl - wrap[0], wrap[1] - xr
    y_edge = yl + (yr - yl) * left / max(left + right, 1e-9)
    return [(xl, yl, wrap[0], y_edge), (xr, yr, wrap[1], y_edge)]


def svg(model, title: str = "") -> str:
    """The map of an ``AllianceModel`` at its current step, as SVG text."""
    x, y, height, background, wrap = screen(model)
    active = model.active
    colours = institution_colours([k.name for k in model.institutions])
    alive = model.alive()
    rows = [k.members.tolist() for k in alive]
    member_of = [[k for k, row in zip(alive, rows) if row[i]] for i in range(model.n)]
    leaders = {k.leader for k in alive if k.hegemonic and k.leader is not None}
    cap = np.where(active, model.capability, 0.0)
    radius = R_MIN + (R_MAX - R_MIN) * np.sqrt(cap / max(cap.max(), 1e-12))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" class="as-map">',
             f'<rect width="{WIDTH}" height="{height}" fill="#fbfbf8"/>', *background]
    for (pairs, colour, width) in ((model.tally.dispute_pairs, DISPUTE, 1.0), (model.tally.conflict_pairs, CONFLICT, 2.2)):
        for i, j in zip(*pairs):
            for x1, y1, x2, y2 in _segments(x[i], y[i], x[j], y[j], wrap):
                parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="{width}" opacity="0.8"/>')
    # plain Python numbers: formatting NumPy scalars one by one costs several times more
    xs, ys, rs, share = x.tolist(), y.tolist(), radius.tolist(), (cap / max(cap.sum(), 1e-300)).tolist()
    regime, stability, threat = model.regime.tolist(), model.stability.tolist(), model.threat.tolist()
    for i in np.argsort(-cap, kind="stable").tolist():  # big states first, so small ones stay visible
        if not active[i]:
            continue
        blocs = member_of[i]
        fill = colours[blocs[0].name] if blocs else UNALIGNED
        ring = ' stroke="#111" stroke-width="2.4"' if i in leaders else (f' stroke="{colours[blocs[1].name]}" stroke-width="2"' if len(blocs) > 1 else ' stroke="#fff" stroke-width="0.6"')
        who = ", ".join(k.name + (" (leader)" if k.leader == i else "") for k in blocs) or "no institution"
        tip = (f"{model.names[i]}: {who}; regime {regime[i]:.2f}, stability {stability[i]:.2f}, "
               f"threat {threat[i]:.2f}, capability {share[i]:.1%} of the world")
        parts.append(f'<circle cx="{xs[i]:.1f}" cy="{ys[i]:.1f}" r="{rs[i]:.1f}" fill="{fill}"{ring} opacity="0.9"><title>{escape(tip)}</title></circle>')
    legend = [(f"{k.name} ({k.kind})", colours[k.name]) for k in alive] + [("unaligned", UNALIGNED)]
    # geographic: bottom left (the South Pacific, where no capital lies); else top left
    lx, ly = (GEO_LEFT + 10, height - GEO_BOTTOM - 8 - 14 * (len(legend) - 1)) if background else (PAD, PAD)
    for n, (label, colour) in enumerate(legend):
        parts.append(f'<circle cx="{lx}" cy="{ly + 14 * n}" r="5" fill="{colour}"/><text x="{lx + 9}" y="{ly + 4 + 14 * n}" font-size="11">{escape(label)}</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="{height - 4}" font-size="11" text-anchor="end">{escape(title)} — lines: disputes (amber), conflicts (red); dark ring: leader</text>')
    parts.append("</svg>")
    return "".join(parts)
