"""A fixed MALLOC_TRIM_THRESHOLD_ (Dask's nanny) no longer maps every array afresh."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's allocator only"
)

# Minor page faults of 200 allocations of 1 MiB, each written once, before and
# after restore_heap_reuse(). A freshly mapped 1 MiB array faults 256 pages of
# 4 KiB when written; memory reused from the heap faults none.
_CODE = """
import json, resource
import numpy as np
from mne_icalabel.utils._malloc import restore_heap_reuse

def faults():
    np.ones(2**17)  # warm up the heap
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        np.ones(2**17)  # 1 MiB, freed at once
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

first = faults()
changed = restore_heap_reuse()
print(json.dumps([first, changed, faults()]))
"""


def _run(env_extra):
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    env.update(env_extra)
    command = [sys.executable, "-c", _CODE]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])  # after MNE's log line


def test_heap_reuse_restored_under_dask_setting():
    before, changed, after = _run({"MALLOC_TRIM_THRESHOLD_": "65536"})
    assert changed
    assert before >= 200 * 256 // 2  # every array mapped afresh
    assert after < 200 * 256 // 20  # the heap is reused


def test_nothing_changed_without_the_variable():
    before, changed, after = _run({})
    assert not changed
    assert before < 200 * 256 // 20 and after < 200 * 256 // 20
