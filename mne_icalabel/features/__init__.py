"""Features of the independent components shared by the labelling methods."""

from . import topomaps
from .topomaps import get_topomaps
