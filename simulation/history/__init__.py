"""History: the observed membership record, and hindcasts scored against it.

Reads only stored files (membership records of runs, the observed table, resolved
scenarios); never imports or runs the model, like ``simulation.experiments.analysis``.
"""
