"""What multiprocessing's fork server imports before it forks the query workers (workers.py).

Imported there once and frozen: a garbage collection in a worker leaves these objects alone,
so the pages that hold them stay shared by the workers instead of being copied into each.
"""

import gc

import sundhedsgraf.sparql.evaluation  # noqa: F401  (what a worker runs)

gc.freeze()
