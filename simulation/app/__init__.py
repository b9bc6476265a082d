"""The browser app for students (``alliance-sim app``), built on Mesa's SolaraViz.

One concept per module: ``source`` (a scenario held as text: file, upload or paste),
``controls`` (the sliders, switches and seed, and the overrides they write), ``appmodel``
(the Mesa model SolaraViz drives: it owns an ``AllianceModel`` and only reads it),
``layout`` (fixed map positions), ``swap`` (the paired run with other rules), ``export``
(the run back to the command line), the drawing components ``map``, ``matrix`` and
``timeseries``, ``picker`` (choose, upload or paste a scenario) and ``page`` (the page).
``cli`` registers the sub-command; only it is imported by the command line, and it imports
Solara only when the app starts, so the other commands do not need the ``app`` extra.
"""
