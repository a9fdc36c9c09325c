"""The labelling methods: one record per method, asked by the rest of the package.

A method is registered once (:func:`register_method`) with its
:class:`Method` record: name, display name, classes and MNE keys, how a
recording is prepared, the backends of its network and ``proba(inst, ica,
backend)``. ``label_components``, the batch, the report, the windows and the
exclusion policy ask :func:`get_method`. The built-in methods are ICLabel,
MEGNet and their composite ``"both"``.
"""

from ._both import BOTH
from ._iclabel import ICLABEL
from ._megnet import MEGNET
from ._registry import (
    CLASSES,
    Method,
    Preparation,
    all_classes,
    get_method,
    method_for,
    method_for_channels,
    method_names,
    mne_keys,
    modalities_of,
    network_names,
    register_method,
    unregister_method,
)

for _method in (ICLABEL, MEGNET, BOTH):
    register_method(_method)
del _method
