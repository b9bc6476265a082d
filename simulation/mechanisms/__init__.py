"""The model's mechanisms as small pure functions, one module per phase of a step.

Each function takes arrays and named parameters and returns new arrays (or updates a
buffer it is given, where that saves an N x N copy).  The model (``simulation.model``)
only orders the phases and keeps the state; these functions hold the maths, so each can
be unit-tested alone.  Formulas are written out in docs/ODD.md.
"""
