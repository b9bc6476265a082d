"""Calibration against history: pyabc's ABC-SMC over scenario parameters (docs/calibration.md).

A sibling of ``simulation.experiments``: it reuses its file reader, seeds and executors.
pyabc drives the sampling; this package supplies the model call (``evaluate``), the distance
(weighted score terms), the priors (``schema``), the checks before a run (``checks``), a
reproducible executor mapping (``sampler``), the command and its results folder (``run``) and
the figures (``figures``).  Heavy modules (pyabc, matplotlib) are imported only when needed.
"""
