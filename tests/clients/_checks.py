"""One check per client: its own code, with this package and with 0.10.0.

Each ``check_<client>(workdir)`` runs in ``workdir`` and returns a record:
the versions, which ``mne_icalabel`` answered each run, the comparison of
`_harness.compare`, and what else the client's outputs showed. The tests of
``tests/clients`` assert on it; ``benchmarks/clients/run.py`` writes it into
``results.json``, from which ``docs/compatibility.rst`` is generated.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from ._dataset import (
    LABEL_STEP,
    PIPELINE_SETTINGS,
    PIPELINE_STEPS,
    SUBJECTS,
    write_dataset,
    write_pipeline_config,
)
from ._harness import client_env, compare, run_probe, upstream_path


def _excluded(tsv: Path) -> list[int]:
    with open(tsv, newline="", encoding="utf-8") as fid:
        rows = list(csv.DictReader(fid, delimiter="\t"))
    return [int(row["component"]) for row in rows if row["status"] == "bad"]


def run_pipeline(config: Path, steps, upstream: Path | None) -> float:
    """Run ``mne_bids_pipeline --steps ...``; return its wall time in seconds."""
    command = Path(sys.executable).with_name("mne_bids_pipeline")
    begin = time.perf_counter()
    done = subprocess.run(
        [str(command), "--config", str(config), "--steps", ",".join(steps)],
        capture_output=True,
        text=True,
        env=client_env(upstream),
        cwd=config.parent,
        timeout=900,
    )
    elapsed = time.perf_counter() - begin
    if done.returncode != 0:
        raise RuntimeError(
            f"mne_bids_pipeline --steps {','.join(steps)} failed "
            f"({'0.10.0' if upstream else 'this package'}):\n{done.stdout[-4000:]}"
        )
    return elapsed


def report_table(report: Path) -> list[list[str]]:
    """The rows of the ICLabel table in one of its HTML reports.

    Each row: component, predicted label, max probability, excluded, then the
    seven class probabilities, as the report shows them.
    """
    text = report.read_text(encoding="utf-8")
    start = text.find("Predicted Label")
    if start < 0:  # the report escapes the HTML it embeds in some versions
        text = html.unescape(text)
        start = text.find("Predicted Label")
    if start < 0:
        return []
    body = text[start : text.find("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]
    return [[c.strip() for c in row] for row in cells if row]


def check_mne_bids_pipeline(workdir: Path) -> dict:
    """mne-bids-pipeline's ICA steps on the simulated dataset, both packages."""
    upstream = upstream_path()
    root = write_dataset(workdir / "ds")
    config = write_pipeline_config(workdir / "config.py", root)
    deriv = root / "derivatives" / "mne-bids-pipeline"
    seconds = dict(ours=run_pipeline(config, PIPELINE_STEPS, None))

    def outputs():
        stems = {s: deriv / f"sub-{s}" / "eeg" / f"sub-{s}" for s in SUBJECTS}
        return {
            f"sub-{s}": dict(
                excluded=_excluded(Path(f"{stem}_proc-ica_components.tsv")),
                table=report_table(Path(f"{stem}_report.html")),
            )
            for s, stem in stems.items()
        }

    ours = outputs()
    # the labelling step again, on the same ICA fit, with 0.10.0 answering
    seconds["upstream"] = run_pipeline(config, ("init", LABEL_STEP), upstream)
    theirs = outputs()
    # the step's own function, on the files it read, for the full probabilities
    inputs = workdir / "inputs"
    inputs.mkdir()
    for s in SUBJECTS:
        for suffix in ("ica", "epo"):
            name = f"sub-{s}_proc-icafit_{suffix}.fif"
            shutil.copy(deriv / f"sub-{s}" / "eeg" / name, inputs / name)
    settings = {k: v for k, v in PIPELINE_SETTINGS.items() if k.startswith("ica_")}
    probe = dict(
        ours=run_probe(
            "mne-bids-pipeline", inputs, workdir / "ours.json", settings, None
        ),
        upstream=run_probe(
            "mne-bids-pipeline", inputs, workdir / "upstream.json", settings, upstream
        ),
    )
    return dict(
        client="mne-bids-pipeline",
        client_version=version("mne-bids-pipeline"),
        steps=list(PIPELINE_STEPS),
        pipeline=dict(ours=ours, upstream=theirs),
        probe=probe,
        comparison=compare(probe["ours"], probe["upstream"]),
        seconds=seconds,
    )


def write_epochs_inputs(inputs: Path) -> Path:
    """Epochs and an ICA per subject of the dataset, fitted as ICLabel wants.

    Filtered 1-100 Hz, average reference, 2 s epochs, extended infomax with
    `_dataset.N_COMPONENTS` components (picard): the inputs of the clients
    whose step takes an instance and a fitted ICA.
    """
    import mne
    from mne.preprocessing import ICA

    from mne_icalabel.datasets.simulation import simulate_eeg_raw

    from ._dataset import DURATION, N_CHANNELS, N_COMPONENTS

    inputs.mkdir(parents=True, exist_ok=True)
    for seed, subject in enumerate(SUBJECTS):
        raw = simulate_eeg_raw(
            N_CHANNELS, duration=DURATION, random_state=seed, verbose="error"
        )
        raw.filter(1.0, 100.0, verbose="error").set_eeg_reference(
            "average", verbose="error"
        )
        epochs = mne.make_fixed_length_epochs(raw, 2.0, preload=True, verbose="error")
        ica = ICA(
            N_COMPONENTS,
            method="picard",
            fit_params=dict(ortho=False, extended=True),
            random_state=0,
            verbose="error",
        )
        ica.fit(epochs, verbose="error")
        epochs.save(inputs / f"sub-{subject}_epo.fif", verbose="error")
        ica.save(inputs / f"sub-{subject}_ica.fif", verbose="error")
    return inputs


def check_label_step(client: str, workdir: Path) -> dict:
    """A client whose step labels an instance + ICA: its function, both packages."""
    upstream = upstream_path()
    inputs = write_epochs_inputs(workdir / "inputs")
    probe = dict(
        ours=run_probe(client, inputs, workdir / "ours.json", {}, None),
        upstream=run_probe(client, inputs, workdir / "upstream.json", {}, upstream),
    )
    return dict(
        client=client,
        client_version=version(client),
        probe=probe,
        comparison=compare(probe["ours"], probe["upstream"]),
    )
