"""Time series of the key metrics, drawn as the run goes: world tension, dispute and crisis
rates, and each institution's size, cohesion and member tension.  The paired run (``swap``)
is drawn dashed in the same colours.

Values are read from the model's ``recorder`` (the rows ``alliance-sim run`` writes), so the
chart shows exactly what the downloaded ``timeseries.csv`` holds.
"""

from __future__ import annotations

from html import escape

import numpy as np

from simulation.app.style import WORLD, institution_colours

#: (metric, scope kind, title): scope "world", or one line per institution.
PANELS = (
    ("mean_tension", "world", "mean tension"),
    ("dispute_rate", "world", "disputes per 1000 dyad-years"),
    ("crisis_rate", "world", "crises per 100 state-years"),
    ("size", "institution", "size (members)"),
    ("cohesion", "institution", "cohesion"),
    ("member_tension", "institution", "member tension"),
)
W, H, PAD_L, PAD_B, COLS = 250, 130, 34, 16, 3


WANTED = frozenset(metric for metric, _, _ in PANELS)


def table(model) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(steps, values) per (metric, scope) shown, from an ``AllianceModel``'s recorder, in one pass."""
    rec = model.recorder
    out: dict[tuple[str, str], tuple[list, list]] = {}
    for s, m, sc, v in zip(rec.step, rec.metric, rec.scope, rec.value):
        if m in WANTED:
            steps, values = out.setdefault((m, sc), ([], []))
            steps.append(s)
            values.append(v)
    return {k: (np.asarray(a, float), np.asarray(b, float)) for k, (a, b) in out.items()}


def latest(model, metrics) -> dict[str, float]:
    """The world value of each of ``metrics`` at the model's current step."""
    rec, want, out = model.recorder, set(metrics), {}
    for i in range(len(rec.step) - 1, -1, -1):
        if rec.step[i] != model.steps:
            break
        if rec.scope[i] == "world" and rec.metric[i] in want:
            out[rec.metric[i]] = rec.value[i]
    return {m: out.get(m, float("nan")) for m in metrics}


def _points(steps, values, x0, y0, xmax, lo, hi) -> str:
    ok = np.isfinite(values)
    px = x0 + PAD_L + steps[ok] / max(xmax, 1) * (W - PAD_L - 8)
    py = y0 + H - PAD_B - (values[ok] - lo) / max(hi - lo, 1e-12) * (H - PAD_B - 18)
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))


def svg(model, last_step: int, partner=None) -> str:
    """The panels for an ``AllianceModel`` (and its pair, dashed) up to ``last_step`` on the x axis."""
    runs = [(model, "", table(model))] + ([(partner, ' stroke-dasharray="4 3"', table(partner))] if partner is not None else [])
    colours = institution_colours([k.name for k in model.institutions])
    rows = -(-len(PANELS) // COLS)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W * COLS} {H * rows}" width="100%" class="as-series">']
    for p, (metric, kind, title) in enumerate(PANELS):
        x0, y0 = (p % COLS) * W, (p // COLS) * H
        lines = []
        for run, dash, data in runs:
            scopes = ["world"] if kind == "world" else [k.name for k in run.institutions]
            for scope in scopes:
                steps, values = data.get((metric, scope), (np.zeros(0), np.zeros(0)))
                lines.append((steps, values, colours.get(scope, WORLD), dash))
        finite = np.concatenate([v[np.isfinite(v)] for _, v, _, _ in lines] + [np.zeros(0)])
        lo = 0.0
        hi = float(finite.max()) if len(finite) else 1.0
        hi = hi * 1.05 if hi > 0 else 1.0
        parts.append(f'<text x="{x0 + PAD_L}" y="{y0 + 12}" font-size="11">{escape(title)}</text>'
                     f'<line x1="{x0 + PAD_L}" y1="{y0 + H - PAD_B}" x2="{x0 + W - 8}" y2="{y0 + H - PAD_B}" stroke="#999"/>'
                     f'<line x1="{x0 + PAD_L}" y1="{y0 + 16}" x2="{x0 + PAD_L}" y2="{y0 + H - PAD_B}" stroke="#999"/>'
                     f'<text x="{x0 + PAD_L - 3}" y="{y0 + 22}" font-size="9" text-anchor="end">{hi:.3g}</text>'
                     f'<text x="{x0 + PAD_L - 3}" y="{y0 + H - PAD_B}" font-size="9" text-anchor="end">0</text>'
                     f'<text x="{x0 + W - 8}" y="{y0 + H - 4}" font-size="9" text-anchor="end">{last_step}</text>')
        for steps, values, colour, dash in lines:
            if len(steps):
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.4"{dash} points="{_points(steps, values, x0, y0, last_step, lo, hi)}"/>')
    parts.append("</svg>")
    return "".join(parts)
