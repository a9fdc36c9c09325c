"""Label whole recordings and datasets: ICA fitting, outputs, HTML reports."""

from ._layout import find_recordings
from .bids import label_bids_dataset
from .ica import fit_ica, prepare_recording
from .recording import label_recording
from .report import make_report
