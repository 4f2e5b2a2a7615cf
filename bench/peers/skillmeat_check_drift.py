"""Times the real SkillMeat's drift check (SyncManager.check_drift, skillmeat/core/sync.py) in one process:
the call `skillmeat sync check` makes, repeated, so Python's start-up and imports are not counted (its best mode).

    HOME=<bench home> <venv>/bin/python bench/peers/skillmeat_check_drift.py PROJECT RUNS

Prints one JSON line: {"times_ms": [...], "drift": {"modified": n, ...}, "import_ms": ...}.
"""
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

logging.disable(logging.CRITICAL)

t0 = time.perf_counter()
from skillmeat.core.collection import CollectionManager  # noqa: E402
from skillmeat.core.sync import SyncManager  # noqa: E402
import_ms = (time.perf_counter() - t0) * 1000

project = Path(sys.argv[1])
runs = int(sys.argv[2])
times = []
drift = Counter()
for i in range(runs):
    t = time.perf_counter()
    mgr = SyncManager(collection_manager=CollectionManager())
    results = mgr.check_drift(project)
    times.append((time.perf_counter() - t) * 1000)
    drift = Counter(r.drift_type for r in results)
print(json.dumps({"times_ms": times, "drift": dict(drift), "import_ms": import_ms}))
