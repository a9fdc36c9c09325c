"""Label whole recordings and datasets: ICA fitting, outputs, HTML reports."""

from ._dispatch import JobqueueCluster
from ._layout import find_recordings
from .apply import apply_bids_dataset
from .bids import label_bids_dataset
from .ica import fit_ica, prepare_recording
from .recording import label_recording
from .report import make_report
