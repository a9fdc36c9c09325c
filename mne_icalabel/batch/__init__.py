"""Label whole recordings and datasets: ICA fitting, outputs, HTML reports."""

from .bids import find_recordings, label_bids_dataset
from .ica import fit_ica, prepare_recording
from .recording import label_recording
from .report import make_report
