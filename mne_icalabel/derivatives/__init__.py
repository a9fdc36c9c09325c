"""The derivatives store: the one owner of what lives in ``derivatives/mne-icalabel``.

It names the files of a recording (:class:`RecordingFiles`), reads and
writes the components TSV and its sidecar (:func:`write_components`,
:func:`mark_components`, :func:`read_table`, :func:`read_sidecar`), the
cleaned recordings, ``summary.tsv`` and the dataset description, and holds
the runs' claims on recordings and the short lock of the shared files.
Every file is written through :func:`writing` (atomic).
"""

from ._claims import (
    RecordingClaims,
    claim_path,
    live_claims,
    refusal,
    running_recordings,
    shared_files_lock,
)
from ._components import (
    FINGERPRINT_KEY,
    POLICY_KEY,
    REVIEW_KEY,
    ComponentsTable,
    check_text,
    column_name,
    good_classes,
    mark_components,
    proba_columns,
    read_fingerprint,
    read_own_table,
    read_sidecar,
    read_table,
    sidecar_path,
    write_components,
)
from ._files import save_ica, save_raw, save_report, write_json, write_text, writing
from ._fingerprint import data_fingerprint, fingerprint_entry, ica_fingerprint
from ._layout import (
    PIPELINE,
    LabelledRecording,
    RecordingFiles,
    check_bids_root,
    clean_path,
    derivatives_root,
    find_existing_ica,
    find_labelled_recordings,
    find_recordings,
    ica_described,
    output_stem,
    recording_files,
    recording_key,
)
from ._lock import DerivativesLock, LockHeldError
from ._summary import SUMMARY_NAME, read_summary, write_description, write_summary
