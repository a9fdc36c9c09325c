"""``summary.tsv`` and ``dataset_description.json`` of the derivatives folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mne.utils import _check_option

from .._version import __version__
from ._files import write_json, write_text
from ._layout import PIPELINE

SUMMARY_NAME = "summary.tsv"


#: the steps that write rows into ``summary.tsv``, in the order rows are listed
STEPS = ("label", "apply")


def read_summary(fname: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read ``summary.tsv``: its columns and rows (values as text).

    A summary written before rows had a ``step`` column holds labelling rows:
    they get ``step`` ``"label"``. A missing file gives no columns and no rows.
    """
    if not fname.is_file():
        return [], []
    with open(fname, encoding="utf-8-sig", newline="") as fid:
        reader = csv.DictReader(fid, delimiter="\t")
        rows = [dict(row) for row in reader]
        columns = list(reader.fieldnames or [])
    if "step" not in columns:
        columns.insert(1 if columns[:1] == ["recording"] else 0, "step")
        for row in rows:
            row["step"] = "label"
    return columns, rows


def write_summary(
    rows: list[dict], fname: Path, columns: tuple[str, ...], *, step: str
) -> None:
    """Merge the rows of one step's run into ``summary.tsv``.

    A row of ``rows`` replaces the file's row of the same step and recording;
    every other row (other steps, other recordings, e.g. those of a run on
    other subjects beside this one) is kept as it is. The columns are the
    union of the file's and ``columns`` (``n/a`` where a row has no value),
    the rows sorted by recording, then by step. Runs call it under the short
    lock of the shared files (:func:`shared_files_lock`).
    """
    _check_option("step", step, STEPS)
    old_columns, old_rows = read_summary(fname)
    replaced = {str(row["recording"]) for row in rows}
    kept = [
        row
        for row in old_rows
        if row.get("step") != step or row.get("recording") not in replaced
    ]
    header = list(dict.fromkeys(["recording", "step", *old_columns, *columns]))
    new = [{**row, "step": step} for row in rows]
    order = {name: k for k, name in enumerate(STEPS)}
    merged = sorted(
        kept + new,
        key=lambda row: (str(row.get("recording")), order.get(row.get("step"), 99)),
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, header, delimiter="\t", restval="n/a", lineterminator="\n"
    )
    writer.writeheader()
    for row in merged:
        clean = {
            key: (
                "n/a"
                if val is None
                else str(val).replace("\t", " ").replace("\n", " ") or "n/a"
            )
            for key, val in row.items()
            if key in header
        }
        writer.writerow(clean)
    write_text(fname, buffer.getvalue())


def write_description(deriv_root: Path, bids_root: Path) -> None:
    """Write the derivatives folder's ``dataset_description.json``."""
    fname = deriv_root / "dataset_description.json"
    description = {
        "Name": "mne-icalabel labels of the independent components",
        "BIDSVersion": "1.9.0",
        "DatasetType": "derivative",
        "GeneratedBy": [
            {
                "Name": PIPELINE,
                "Version": __version__,
                "Description": "ICA fitted with MNE-Python and labelled with "
                "ICLabel (EEG) or MEGNet (MEG).",
                "CodeURL": "https://github.com/mne-tools/mne-icalabel",
            }
        ],
        "SourceDatasets": [{"URL": bids_root.resolve().as_uri()}],
    }
    write_json(fname, description)
