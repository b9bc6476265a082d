"""The tension matrix as a heat map, active states ordered by bloc (each institution's members,
strongest first, then the unaligned), so tension between and within blocs shows as blocks.

The N x N array is coloured through a fixed 256-step colour map (tension 0 to 1, the same
scale every step) and sent as one PNG inside an SVG with the blocs' boundaries drawn over it.
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
from PIL import Image

from simulation.app.style import UNALIGNED, institution_colours

SIZE, MARGIN = 360, 16


def _lut() -> np.ndarray:
    from matplotlib import colormaps

    return (colormaps["magma"](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)


LUT = _lut()


def bloc_order(model) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Active states ordered by first membership (scenario order), then capability; and the
    (bloc name, size) runs in that order."""
    alive = model.alive()
    bloc = np.full(model.n, len(alive))
    for b, k in reversed(list(enumerate(alive))):
        bloc[k.members] = b
    idx = np.flatnonzero(model.active)
    order = idx[np.lexsort((-model.capability[idx], bloc[idx]))]
    names = [k.name for k in alive] + ["unaligned"]
    runs = [(names[b], int((bloc[order] == b).sum())) for b in range(len(names))]
    return order, [r for r in runs if r[1]]


def png(values: np.ndarray) -> bytes:
    """A PNG of ``values`` (0-1) through the colour map, one pixel per cell: a palette image
    (one byte per cell), a third of the size of an RGB one and quicker to make."""
    image = Image.fromarray(np.clip(values * 255, 0, 255).astype(np.uint8), "P")
    image.putpalette(LUT.tobytes())
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def svg(model) -> str:
    """The heat map of an ``AllianceModel``'s tension, as SVG text."""
    order, runs = bloc_order(model)
    data = base64.b64encode(png(model.tension[np.ix_(order, order)])).decode("ascii")
    n = max(len(order), 1)
    cell = SIZE / n
    colours = institution_colours([k.name for k in model.institutions])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE + MARGIN + 70} {SIZE + MARGIN}" width="100%" class="as-matrix">',
             f'<image x="{MARGIN}" y="0" width="{SIZE}" height="{SIZE}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,{data}"/>']
    start = 0
    for name, size in runs:
        colour = colours.get(name, UNALIGNED)
        y0, y1 = start * cell, (start + size) * cell
        parts.append(f'<rect x="0" y="{y0:.1f}" width="{MARGIN - 3}" height="{y1 - y0:.1f}" fill="{colour}"><title>{escape(name)}: {size} states</title></rect>')
        if start:
            parts.append(f'<line x1="{MARGIN}" y1="{y0:.1f}" x2="{MARGIN + SIZE}" y2="{y0:.1f}" stroke="#fff" stroke-width="1"/>'
                         f'<line x1="{MARGIN + y0:.1f}" y1="0" x2="{MARGIN + y0:.1f}" y2="{SIZE}" stroke="#fff" stroke-width="1"/>')
        start += size
    for n_tick, t in enumerate((1.0, 0.5, 0.0)):
        r, g, b = LUT[int(t * 255)]
        parts.append(f'<rect x="{SIZE + MARGIN + 8}" y="{n_tick * 24}" width="14" height="24" fill="rgb({r},{g},{b})"/>'
                     f'<text x="{SIZE + MARGIN + 26}" y="{n_tick * 24 + 15}" font-size="11">{t:.1f}</text>')
    parts.append(f'<text x="{SIZE + MARGIN + 8}" y="{3 * 24 + 14}" font-size="11">tension</text></svg>')
    return "".join(parts)
