"""The map: states at fixed positions (``layout``), coloured by institution, sized by
capability, leaders ringed, this year's disputes and conflicts as lines.

Drawn as one SVG string (a few hundred elements), so a frame costs about a millisecond to
build and nothing is re-laid out: the positions are computed once per world.  Hovering a
state shows its name, memberships, regime, stability and threat (SVG ``<title>``).  Only
active states are drawn (historical worlds: states enter and exit).
"""

from __future__ import annotations

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


def svg(model, title: str = "") -> str:
    """The map of an ``AllianceModel`` at its current step, as SVG text."""
    x, y = _frame(layout.positions(model))
    active = model.active
    colours = institution_colours([k.name for k in model.institutions])
    alive = model.alive()
    member_of = [[k for k in alive if k.members[i]] for i in range(model.n)]
    leaders = {k.leader for k in alive if k.hegemonic and k.leader is not None}
    cap = np.where(active, model.capability, 0.0)
    radius = R_MIN + (R_MAX - R_MIN) * np.sqrt(cap / max(cap.max(), 1e-12))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" class="as-map">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfbf8"/>']
    for (pairs, colour, width) in ((model.tally.dispute_pairs, DISPUTE, 1.0), (model.tally.conflict_pairs, CONFLICT, 2.2)):
        for i, j in zip(*pairs):
            parts.append(f'<line x1="{x[i]:.1f}" y1="{y[i]:.1f}" x2="{x[j]:.1f}" y2="{y[j]:.1f}" stroke="{colour}" stroke-width="{width}" opacity="0.8"/>')
    for i in np.argsort(-cap, kind="stable"):  # big states first, so small ones stay visible
        if not active[i]:
            continue
        blocs = member_of[i]
        fill = colours[blocs[0].name] if blocs else UNALIGNED
        ring = ' stroke="#111" stroke-width="2.4"' if i in leaders else (f' stroke="{colours[blocs[1].name]}" stroke-width="2"' if len(blocs) > 1 else ' stroke="#fff" stroke-width="0.6"')
        who = ", ".join(k.name + (" (leader)" if k.leader == i else "") for k in blocs) or "no institution"
        tip = (f"{model.names[i]}: {who}; regime {model.regime[i]:.2f}, stability {model.stability[i]:.2f}, "
               f"threat {model.threat[i]:.2f}, capability {cap[i] / cap.sum():.1%} of the world")
        parts.append(f'<circle cx="{x[i]:.1f}" cy="{y[i]:.1f}" r="{radius[i]:.1f}" fill="{fill}"{ring} opacity="0.9"><title>{escape(tip)}</title></circle>')
    legend = [(f"{k.name} ({k.kind})", colours[k.name]) for k in alive] + [("unaligned", UNALIGNED)]
    for n, (label, colour) in enumerate(legend):
        parts.append(f'<circle cx="{PAD}" cy="{PAD + 14 * n}" r="5" fill="{colour}"/><text x="{PAD + 9}" y="{PAD + 4 + 14 * n}" font-size="11">{escape(label)}</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" font-size="11" text-anchor="end">{escape(title)} — lines: disputes (amber), conflicts (red); dark ring: leader</text>')
    parts.append("</svg>")
    return "".join(parts)
