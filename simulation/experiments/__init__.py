"""Batch experiments: sweeps over scenario files, replications, lasting results, analysis.

Layers, one module each, in the order data flows (the model never knows how it is run;
analysis never imports the model, it reads only the stored results):

- ``schema``     the experiment file (validated once, frozen)
- ``design``     samplers: none, grid, Latin hypercube, Sobol (Saltelli), Morris
- ``seeds``      run seeds from ``numpy.random.SeedSequence`` (common random numbers)
- ``plan``       the run table: one row per scenario x design point x replication
- ``worker``     what a worker does with a batch of runs (run, summarise, write)
- ``executors``  serial, process pool, dask.distributed
- ``store``      the results folder: manifest, per-run files, lock, summary
- ``sweep``      ties the above together for ``alliance-sim sweep``
- ``analysis``   statistics from stored files only
- ``figures``    plots from analysis tables
- ``report``     ``report.md``
- ``reproduce``  re-run recorded runs and compare
- ``cli``        the ``sweep``, ``report`` and ``reproduce`` sub-commands
"""
