"""docs/compatibility.rst is what benchmarks/clients/results.json gives (issue 19)."""

from __future__ import annotations

import json
from dataclasses import asdict

from ._page import PAGE, RESULTS, render
from ._registry import CLIENTS

FIX = "run 'python benchmarks/clients/run.py --client {}' and commit what it writes"


def _results() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8"))


def test_page_is_generated_from_the_results():
    assert PAGE.read_text(encoding="utf-8") == render(_results()), FIX.format("NAME")


def test_results_hold_every_client_of_the_registry_as_it_is():
    records = {r["client"]: r for r in _results()["clients"]}
    for entry in CLIENTS:
        record = records.get(entry.name)
        assert record is not None, FIX.format(entry.name)
        for key in ("version", "in_ci", "how", "reason"):
            assert record[key] == getattr(entry, key), (key, FIX.format(entry.name))
        assert record["calls"] == [asdict(c) for c in entry.calls], FIX.format(
            entry.name
        )
        # a client is run, or says why not
        assert (entry.check is None) == (record["status"] == "not run")
        assert entry.check is not None or entry.reason
    assert [r["client"] for r in _results()["clients"]] == [c.name for c in CLIENTS]


def test_clients_checked_in_ci_passed_when_recorded():
    for record in _results()["clients"]:
        if record["in_ci"]:
            assert record["status"] == "passed", record["client"]
            assert record["comparison"]["max_abs_dp"] <= record["bound"]
