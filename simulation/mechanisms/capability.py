"""Phase 7: capability growth with noise and the burden of commitments."""

from __future__ import annotations

import math

import numpy as np

#: Capabilities are rescaled when the largest leaves [2^-RESCALE_EXPONENT, 2^RESCALE_EXPONENT]
#: (about 1e-77 to 1e77), far inside the float range, so growth never overflows to inf nor
#: decays to 0.  Runs of ordinary length never reach these bounds, so their numbers are
#: untouched.
RESCALE_EXPONENT = 256


def grow(capability: np.ndarray, shocks: np.ndarray, burden: np.ndarray, *, mean: float, sd: float) -> np.ndarray:
    """p <- p exp(mean + sd eps) (1 - burden_i); burden_i sums the burdens of i's institutions."""
    return rescale(capability * np.exp(mean + sd * shocks) * (1.0 - np.clip(burden, 0.0, 1.0)))


def rescale(capability: np.ndarray) -> np.ndarray:
    """Divide every capability by the power of two nearest the largest one when it leaves the
    safe range; otherwise return the array unchanged.

    Only shares matter in the model (sums, ratios and maxima of capabilities), and scaling by
    a power of two changes no significand, so every share, sum ratio and comparison is
    bit-for-bit what it was: the rescaling is exactly neutral.  (A state whose share is
    below 2^-1021 becomes subnormal; it was zero for every purpose already.)
    """
    if capability.size == 0:
        return capability
    top = float(np.max(capability))
    if not math.isfinite(top) or top <= 0.0 or 2.0 ** -RESCALE_EXPONENT <= top <= 2.0 ** RESCALE_EXPONENT:
        return capability
    _, exponent = math.frexp(top)  # top = m * 2^exponent with 0.5 <= m < 1
    return np.ldexp(capability, -exponent)
