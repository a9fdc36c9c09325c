from pathlib import Path

from mne_icalabel.datasets import icalabel


def test_data_path_uses_config_key_without_network(testing_path, shared_data):
    path = icalabel.data_path(download=False, update_path=False)
    assert path == shared_data / "MNE-testing-icalabel-data"
    assert (path / "iclabel" / "datasets" / "sample-raw.set").is_file()
    assert (path / "version.txt").read_text().strip() == "0.02"
    assert icalabel.has_icalabel_testing_data()


def test_data_path_absent_without_download(tmp_path, monkeypatch):
    monkeypatch.setenv("MNE_ICALABEL_DATASET_TESTING_PATH", str(tmp_path))
    assert icalabel.data_path(download=False, update_path=False) == Path()
    assert not icalabel.has_icalabel_testing_data()
