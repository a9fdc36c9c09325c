"""Cleaning a labelled BIDS dataset: the ICAs applied, reruns, failures, report."""

from __future__ import annotations

import csv
import html.parser
import json
import shutil
import warnings
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_icalabel.annotation import mark_component, read_components_tsv
from mne_icalabel.batch import apply_bids_dataset, label_bids_dataset
from mne_icalabel.batch.apply import ica_reference
from mne_icalabel.commands.main import main
from mne_icalabel.datasets.weights import _sha256
from mne_icalabel.derivatives._summary import read_summary, write_summary

from .conftest import N_COMPONENTS

DERIV = Path("derivatives", "mne-icalabel")
STEMS = ("sub-01/eeg/sub-01_task-rest_run-01", "sub-02/eeg/sub-02_task-rest_run-01")
KEYS = tuple(f"{stem}_eeg.vhdr" for stem in STEMS)
# the data are saved as float32: each value is rounded once to 24 significant
# bits (relative error <= 2**-24), after MNE divides it by the channel's
# calibration in float64; one float32 eps (2**-23) bounds both roundings
RTOL = float(np.finfo(np.float32).eps)
# mne-bids reading the simulated recordings (EOG/ECG have no positions)
pytestmark = [
    pytest.mark.filterwarnings("ignore:There are channels without locations"),
    pytest.mark.filterwarnings("ignore:Not setting positions"),
]


@pytest.fixture(scope="session")
def labelled_template(bids_template, tmp_path_factory) -> Path:
    """The two-subject dataset labelled once (no reports); copy it to change it."""
    root = tmp_path_factory.mktemp("labelled") / "ds"
    shutil.copytree(bids_template, root)
    summary = label_bids_dataset(
        root, n_components=N_COMPONENTS, report=False, verbose="error"
    )
    assert list(summary["status"]) == ["labelled"] * 2
    return root


@pytest.fixture
def labelled_root(labelled_template, tmp_path) -> Path:
    root = tmp_path / "ds"
    shutil.copytree(labelled_template, root)
    return root


def _read_tsv(fname: Path) -> list[dict[str, str]]:
    with open(fname, encoding="utf-8") as fid:
        return list(csv.DictReader(fid, delimiter="\t"))


def _clean(root: Path, k: int) -> Path:
    return root / DERIV / f"{STEMS[k]}_desc-clean_eeg.fif"


def _expected(root: Path, k: int) -> tuple[mne.io.BaseRaw, mne.io.BaseRaw, list]:
    """The recording as stored, and cleaned by hand as the docs say."""
    import mne_bids

    bids_path = mne_bids.get_bids_path_from_fname(root / KEYS[k])
    stored = mne_bids.read_raw_bids(bids_path, verbose=False).load_data()
    ica = mne.preprocessing.read_ica(root / DERIV / f"{STEMS[k]}_ica.fif")
    ica.exclude = []  # the TSV decides, not an exclude saved with the ICA
    status = read_components_tsv(root / DERIV / f"{STEMS[k]}_components.tsv")["status"]
    bad = [c for c, s in enumerate(status) if s == "bad"]
    referenced = stored.copy().set_eeg_reference("average", projection=False)
    return stored, ica.apply(referenced.copy(), exclude=bad), bad


def test_clean_data_and_summary(labelled_root):
    """The clean files are the ICA applied to the referenced recording."""
    root = labelled_root
    summary = apply_bids_dataset(root, report=False, verbose="error")
    assert list(summary["recording"]) == list(KEYS)
    assert list(summary["status"]) == ["applied"] * 2, summary["error"].tolist()
    assert list(summary["reference"]) == ["average"] * 2
    for k in range(2):
        stored, expected, bad = _expected(root, k)
        assert bad, "the simulated recordings have artifacts to remove"
        assert summary["n_excluded"][k] == len(bad)
        assert summary["excluded"][k] == ", ".join(f"ICA{c:03d}" for c in bad)
        clean = mne.io.read_raw_fif(_clean(root, k), verbose=False).load_data()
        assert clean.ch_names == stored.ch_names
        assert clean.info["custom_ref_applied"]
        got, want = clean.get_data(), expected.get_data()
        assert np.all(np.abs(got - want) <= RTOL * np.abs(want))
        # the data did change, and EOG/ECG (outside the ICA) did not
        ica = mne.preprocessing.read_ica(root / DERIV / f"{STEMS[k]}_ica.fif")
        outside = [ch for ch in stored.ch_names if ch not in ica.ch_names]
        assert set(stored.get_channel_types(outside)) == {"eog", "ecg"}
        kept = stored.get_data(outside)
        assert np.all(np.abs(clean.get_data(outside) - kept) <= RTOL * np.abs(kept))
        referenced = stored.copy().set_eeg_reference("average", projection=False)
        change = np.abs(got - referenced.get_data()).max()
        assert change > 100 * RTOL * np.abs(want).max()
        sidecar = json.loads(_clean(root, k).with_suffix(".json").read_text())
        assert sidecar["ExcludedComponents"] == bad
        assert sidecar["Reference"] == "average"
        assert sidecar["Files"] == [_clean(root, k).name]
        assert sidecar["ComponentsSHA256"] == _sha256(
            root / DERIV / f"{STEMS[k]}_components.tsv"
        )
        assert sidecar["ICASHA256"] == _sha256(root / DERIV / f"{STEMS[k]}_ica.fif")
    rows = _read_tsv(root / DERIV / "summary.tsv")
    assert [(r["recording"], r["step"]) for r in rows] == [
        (key, step) for key in KEYS for step in ("label", "apply")
    ]
    label = [r for r in rows if r["step"] == "label"]
    assert [r["status"] for r in label] == ["labelled"] * 2
    assert all(r["n_components"] == str(N_COMPONENTS) for r in label)
    assert all(r["reference"] == "n/a" for r in label)
    # relabelling rewrites the label rows only
    label_bids_dataset(root, verbose="error")
    rows = _read_tsv(root / DERIV / "summary.tsv")
    assert [r["status"] for r in rows] == ["skipped", "applied"] * 2
    assert [r["reference"] for r in rows] == ["n/a", "average"] * 2


def test_rerun_skip_and_redo(labelled_root):
    """Up to date: skipped; a TSV edited by hand: only that recording redone."""
    root = labelled_root
    apply_bids_dataset(root, report=False, verbose="error")
    mtimes = [_clean(root, k).stat().st_mtime_ns for k in range(2)]
    summary = apply_bids_dataset(root, report=False, verbose="error")
    assert list(summary["status"]) == ["skipped"] * 2
    assert [_clean(root, k).stat().st_mtime_ns for k in range(2)] == mtimes

    tsv = root / DERIV / f"{STEMS[1]}_components.tsv"
    status = read_components_tsv(tsv)["status"]
    good = status.index("good")
    mark_component(good, tsv, "manual", "eye blink", "Jane Doe")
    summary = apply_bids_dataset(root, report=False, verbose="error")
    assert list(summary["status"]) == ["skipped", "applied"]
    assert _clean(root, 0).stat().st_mtime_ns == mtimes[0]
    sidecar = json.loads(_clean(root, 1).with_suffix(".json").read_text())
    assert good in sidecar["ExcludedComponents"]
    _, expected, bad = _expected(root, 1)
    assert good in bad
    got = mne.io.read_raw_fif(_clean(root, 1), verbose=False).get_data()
    want = expected.get_data()
    assert np.all(np.abs(got - want) <= RTOL * np.abs(want))

    # an ICA file changed (here: an exclude saved with it, which is not used)
    fname = root / DERIV / f"{STEMS[0]}_ica.fif"
    ica = mne.preprocessing.read_ica(fname)
    status = read_components_tsv(root / DERIV / f"{STEMS[0]}_components.tsv")["status"]
    ica.exclude = [status.index("good")]
    ica.save(fname, overwrite=True)
    summary = apply_bids_dataset(root, report=False, verbose="error")
    assert list(summary["status"]) == ["applied", "skipped"]
    _, expected, _ = _expected(root, 0)
    got = mne.io.read_raw_fif(_clean(root, 0), verbose=False).get_data()
    want = expected.get_data()
    assert np.all(np.abs(got - want) <= RTOL * np.abs(want))

    # another filter is another result; overwrite redoes everything
    summary = apply_bids_dataset(root, l_freq=1.0, report=False, verbose="error")
    assert list(summary["status"]) == ["applied"] * 2
    assert json.loads(_clean(root, 0).with_suffix(".json").read_text())[
        "HighPass"
    ] == pytest.approx(1.0)
    summary = apply_bids_dataset(
        root, l_freq=1.0, overwrite=True, report=False, verbose="error"
    )
    assert list(summary["status"]) == ["applied"] * 2
    # a run asking for reports redoes the recordings written without one
    summary = apply_bids_dataset(root, l_freq=1.0, subjects="01", verbose="error")
    assert list(summary["status"]) == ["applied"]


@pytest.mark.parametrize("problem", ["corrupt", "channels", "other ica"])
def test_one_failure_does_not_stop_the_other(labelled_root, problem):
    root = labelled_root
    fname = root / DERIV / f"{STEMS[0]}_ica.fif"
    if problem == "corrupt":
        fname.write_bytes(b"not a fif file")
    else:
        ica = mne.preprocessing.read_ica(fname)
        mne.rename_channels(ica.info, {ica.ch_names[0]: "XYZ"})
        ica.ch_names = list(ica.info["ch_names"])
        ica.save(fname, overwrite=True)
    if problem == "channels":  # a sidecar of an earlier version: no fingerprint
        sidecar = root / DERIV / f"{STEMS[0]}_components.json"
        content = json.loads(sidecar.read_text())
        del content["ICAFingerprint"]
        sidecar.write_text(json.dumps(content))
    summary = apply_bids_dataset(root, report=False, verbose="error")
    assert list(summary["status"]) == ["failed", "applied"]
    error = summary["error"][0]
    if problem == "channels":
        assert error.startswith("ValueError: The recording lacks 1 of the 32")
        assert "XYZ" in error
    elif problem == "other ica":
        assert error.startswith(f"RuntimeError: {STEMS[0].split('/')[-1]}")
        assert "belongs to another ICA" in error and str(fname) in error
        assert "mne-icalabel bids --overwrite" in error
    else:
        assert error.startswith(f"RuntimeError: The ICA {fname} cannot be read")
        assert "--refit" in error
    assert not _clean(root, 0).exists()
    assert _clean(root, 1).is_file()
    rows = _read_tsv(root / DERIV / "summary.tsv")
    assert [r["status"] for r in rows if r["step"] == "apply"] == [
        "failed",
        "applied",
    ]
    assert rows[1]["error"] == error


@pytest.mark.parametrize("manual", [False, True])
def test_missing_ica_advice(labelled_root, manual):
    """A labelled recording without its ICA: the fix named, manual rows said."""
    root = labelled_root
    (root / DERIV / f"{STEMS[0]}_ica.fif").unlink()
    if manual:
        tsv = root / DERIV / f"{STEMS[0]}_components.tsv"
        mark_component(1, tsv, "manual", "eye blink", "Jane Doe")
    summary = apply_bids_dataset(root, report=False, verbose="error")
    assert list(summary["status"]) == ["failed", "applied"]
    error = summary["error"][0]
    name = STEMS[0].split("/")[-1]
    assert error.startswith(
        f"FileNotFoundError: No ICA for {KEYS[0]}: {name}_ica.fif is missing"
    )
    if manual:
        assert error.endswith(
            "'mne-icalabel bids --overwrite --refit --discard-manual' (its 1 "
            "component(s) labelled by hand describe the missing ICA: they are "
            "dropped)."
        )
    else:
        assert error.endswith("'mne-icalabel bids --overwrite --refit'.")


def _fit(raw, projection: bool | None, apply: bool = False):
    inst = raw.copy().filter(1.0, 100.0, verbose=False)
    if projection is not None:
        inst.set_eeg_reference("average", projection=projection, verbose=False)
    if apply:
        inst.apply_proj()
    ica = mne.preprocessing.ICA(4, method="fastica", max_iter=500, random_state=0)
    return ica.fit(inst, picks="eeg", verbose=False)


def test_reference_of_other_pipelines(tmp_path):
    """The reference an ICA's info records, or a clear refusal."""
    from mne_icalabel.datasets.simulation import simulate_eeg_raw

    raw = simulate_eeg_raw(8, duration=10.0, random_state=1, verbose=False)

    def ref(ica, **kwargs):
        kwargs.setdefault("fitted_here", False)
        return ica_reference(ica, method="iclabel", **kwargs)

    stored = _fit(raw, None)
    assert ref(stored) == "as-is"
    # a projector that was only added was not applied to the data ICA.fit saw
    assert ref(_fit(raw, True)) == "as-is"
    assert ref(_fit(raw, True, apply=True)) == "average"
    custom = _fit(raw, False)
    with pytest.raises(ValueError, match="does not say to which reference"):
        ref(custom)
    assert ref(custom, reference="as-is") == "as-is"
    assert ref(custom, fitted_here=True) == "average"
    # what MNE writes is what decides: the same after a save and a read
    fname = tmp_path / "x_ica.fif"
    _fit(raw, True, apply=True).save(fname)
    assert ref(mne.preprocessing.read_ica(fname)) == "average"
    custom.save(fname, overwrite=True)
    with pytest.raises(ValueError, match=r"--reference average"):
        ref(mne.preprocessing.read_ica(fname))

    info = mne.create_info(4, 1000.0, "mag")
    meg = mne.io.RawArray(np.random.default_rng(0).normal(size=(4, 5000)), info)
    meg.filter(1.0, None, verbose=False)
    ica = mne.preprocessing.ICA(2, random_state=0).fit(meg, verbose=False)
    assert ref(ica, reference="average") == "none"


def test_summary_written_before_steps(tmp_path):
    """A summary without a step column holds label rows, which apply keeps."""
    fname = tmp_path / "summary.tsv"
    fname.write_text("recording\tstatus\nsub-01/a.vhdr\tlabelled\n")
    assert read_summary(fname)[1] == [
        {"recording": "sub-01/a.vhdr", "step": "label", "status": "labelled"}
    ]
    write_summary(
        [dict(recording="sub-01/a.vhdr", status="applied", reference="average")],
        fname,
        ("recording", "status", "reference"),
        step="apply",
    )
    assert _read_tsv(fname) == [
        {
            "recording": "sub-01/a.vhdr",
            "step": "label",
            "status": "labelled",
            "reference": "n/a",
        },
        {
            "recording": "sub-01/a.vhdr",
            "step": "apply",
            "status": "applied",
            "reference": "average",
        },
    ]
    with pytest.raises(ValueError, match="step"):
        write_summary([], fname, ("recording",), step="review")


class _Sections(html.parser.HTMLParser):
    """Collect the ids of a report's sections, its tables' cells and images."""

    def __init__(self):
        super().__init__()
        self.ids, self.cells, self.images, self._cell = set(), [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img" and attrs.get("src", "").startswith("data:image"):
            self.images.append(attrs["src"][:20])
        self._cell = tag == "td"

    def handle_data(self, data):
        if self._cell:
            self.cells.append(data)
            self._cell = False


def test_command_and_report(labelled_root, capsys):
    """``mne-icalabel apply`` writes the clean files and the before/after report."""
    root = labelled_root
    assert main(["apply", str(root), "--subject", "02"]) == 0
    out = capsys.readouterr().out
    assert "1 recording(s): 1 applied, 0 skipped (up to date), 0 failed" in out
    assert _clean(root, 1).is_file() and not _clean(root, 0).exists()
    bad = [
        c
        for c, s in enumerate(
            read_components_tsv(root / DERIV / f"{STEMS[1]}_components.tsv")["status"]
        )
        if s == "bad"
    ]
    assert f"removed {', '.join(f'ICA{c:03d}' for c in bad)}" in out

    parser = _Sections()
    parser.feed((root / DERIV / f"{STEMS[1]}_report.html").read_text())
    for section in (
        "Labels-Probabilities",
        "Components-Time_courses",
        "Cleaning-Removed_components",
        "Cleaning-Signals_before_and_after",
        "Cleaning-Spectra_before_and_after",
    ):
        assert section in parser.ids
    # the removed table lists the bad components, first cell of each row
    assert [int(c) for c in parser.cells if c.strip().isdigit()][-len(bad) :] == bad
    assert len(parser.images) >= 4

    assert main(["apply", str(root), "--subject", "02"]) == 0
    assert "0 applied, 1 skipped" in capsys.readouterr().out
    assert main(["apply", str(root), "--subject", "03"]) == 1
    assert "No labelled eeg recording matches" in capsys.readouterr().err
    assert main(["apply", str(root), "--l-freq", "40", "--h-freq", "1"]) == 1
    assert "must be below h_freq" in capsys.readouterr().err


def test_apply_validates(labelled_root):
    with pytest.raises(ValueError, match="reference"):
        apply_bids_dataset(labelled_root, reference="Cz")
    with pytest.raises(ValueError, match="l_freq must be positive"):
        apply_bids_dataset(labelled_root, l_freq=0)
    with pytest.raises(ValueError, match="n_jobs must be a number of processes"):
        apply_bids_dataset(labelled_root, n_jobs=0)
    assert not _clean(labelled_root, 0).exists()


def test_save_split_parts(tmp_path):
    """A file above the split size is written as BIDS parts; stale parts go."""
    from mne_icalabel.derivatives._files import save_raw as _save_raw

    info = mne.create_info(64, 1000.0, "eeg")
    data = np.random.default_rng(0).normal(scale=1e-5, size=(64, 60_000))
    raw = mne.io.RawArray(data, info, verbose=False)
    fname = tmp_path / "sub-01_desc-clean_eeg.fif"
    written = _save_raw(raw, fname, split_size="10MB")
    assert [p.name for p in written] == [
        "sub-01_desc-clean_split-01_eeg.fif",
        "sub-01_desc-clean_split-02_eeg.fif",
    ]
    back = mne.io.read_raw_fif(written[0], verbose=False)
    assert back.n_times == raw.n_times
    np.testing.assert_allclose(back.get_data(), data, rtol=RTOL, atol=0)
    # a smaller recording replaces the parts by one file
    assert _save_raw(raw.crop(0, 10.0), fname, split_size="10MB") == [fname]
    assert sorted(p.name for p in tmp_path.iterdir()) == [fname.name]


@pytest.fixture(scope="module")
def meg_bids(shared_data, tmp_path_factory):
    """One 61 s recording of 102 magnetometers and 60 EEG at 500 Hz, labelled."""
    from mne_bids import BIDSPath, write_raw_bids

    from mne_icalabel.datasets.simulation import simulate_meg_raw

    raw = simulate_meg_raw(
        shared_data / "meg" / "sample_audvis_trunc_raw_sss.fif",
        61.0,  # MEGNet needs 60 s
        500.0,
        meg="mag",
        eeg=True,
        random_state=0,
        verbose=False,
    )
    root = tmp_path_factory.mktemp("bids_meg") / "ds"
    bids_path = BIDSPath(subject="01", task="rest", datatype="meg", root=root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne-bids: no line frequency, no events
        write_raw_bids(raw, bids_path, format="FIF", allow_preload=True, verbose=False)
    summary = label_bids_dataset(
        root, datatype="meg", n_components=10, report=False, verbose="error"
    )
    assert list(summary["status"]) == ["labelled"], summary["error"].tolist()
    return root, bids_path


@pytest.mark.filterwarnings("ignore:.*line frequency:RuntimeWarning")
def test_meg_no_reference_own_rate(meg_bids):
    """A MEGNet ICA (fitted at 250 Hz) cleans the 500 Hz recording, EEG untouched."""
    from mne_bids import read_raw_bids

    root, bids_path = meg_bids
    summary = apply_bids_dataset(root, datatype="meg", verbose="error")
    assert list(summary["status"]) == ["applied"], summary["error"].tolist()
    assert list(summary["reference"]) == ["none"]
    folder = root / DERIV / "sub-01" / "meg"
    ica = mne.preprocessing.read_ica(folder / "sub-01_task-rest_ica.fif")
    assert set(ica.get_channel_types()) == {"mag"}
    status = read_components_tsv(folder / "sub-01_task-rest_components.tsv")["status"]
    bad = [c for c, s in enumerate(status) if s == "bad"]
    assert bad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mne-bids: no line frequency
        stored = read_raw_bids(bids_path, verbose=False).load_data()
    clean = mne.io.read_raw_fif(folder / "sub-01_task-rest_desc-clean_meg.fif")
    assert clean.info["sfreq"] == stored.info["sfreq"] == 500.0
    want = ica.apply(stored.copy(), exclude=bad).get_data()
    got = clean.get_data()
    assert np.all(np.abs(got - want) <= RTOL * np.abs(want))
    eeg = stored.get_data("eeg")
    assert np.all(np.abs(clean.get_data("eeg") - eeg) <= RTOL * np.abs(eeg))
    assert not clean.info["custom_ref_applied"]
    html = (folder / "sub-01_task-rest_report.html").read_text(encoding="utf-8")
    assert 'id="Cleaning-Spectra_before_and_after"' in html


def test_failure_before_the_sidecar_leaves_no_old_one(labelled_root, monkeypatch):
    """New decisions, cleaned file written, sidecar not: no stale sidecar is left."""
    from mne_icalabel.batch import apply as apply_module

    root = labelled_root
    apply_bids_dataset(root, subjects="01", report=False, verbose="error")
    sidecar = _clean(root, 0).with_suffix(".json")
    assert sidecar.is_file()
    tsv = root / DERIV / f"{STEMS[0]}_components.tsv"
    good = read_components_tsv(tsv)["status"].index("good")
    mark_component(good, tsv, "manual", "eye blink", "Jane Doe")

    def fail(*args, **kwargs):
        raise OSError("the sidecar could not be written")

    monkeypatch.setattr(apply_module, "write_json", fail)
    summary = apply_bids_dataset(root, subjects="01", report=False, verbose="error")
    assert list(summary["status"]) == ["failed"]
    # the new cleaned file is not described by the old decisions
    assert not sidecar.exists()
    monkeypatch.undo()
    summary = apply_bids_dataset(root, subjects="01", report=False, verbose="error")
    assert list(summary["status"]) == ["applied"]
    assert good in json.loads(sidecar.read_text())["ExcludedComponents"]
