"""Label whole recordings and datasets: ICA fitting, outputs, HTML reports."""

from ..derivatives import find_recordings
from ..methods._prepare import prepare_recording
from ._dispatch import JobqueueCluster
from .apply import apply_bids_dataset
from .bids import label_bids_dataset
from .ica import fit_ica
from .recording import label_recording
from .report import make_report
