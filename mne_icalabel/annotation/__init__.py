"""Annotation of the components: BIDS-like TSV files and exclusion rules."""

from . import bids, thresholds
from .bids import mark_component, read_components_tsv, write_components_tsv
from .thresholds import flag_components, flag_non_included
