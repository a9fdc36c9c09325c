"""PyTorch backend: the ICLabel network as a :class:`torch.nn.Module`.

Imported only when the torch backend is used (it imports torch).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

WEIGHTS = "ICLabelNet.pt"
# topographic maps per call of the image branch (see ICLabelNet.forward)
_IMAGE_CHUNK = 64


class _Branch(nn.Module):
    """Three convolutions, each followed by LeakyReLU(0.2).

    The layers are registered twice, as ``conv1, relu1, ...`` and inside
    ``sequential``, because the published ``state_dict`` holds both names.
    """

    def __init__(
        self,
        channels: tuple[int, int, int, int],
        kernel_size: tuple[int, int],
        stride: tuple[int, int],
        padding: tuple[int, int],
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels[0], channels[1], kernel_size, stride, padding)
        self.relu1 = nn.LeakyReLU(0.2)
        self.conv2 = nn.Conv2d(channels[1], channels[2], kernel_size, stride, padding)
        self.relu2 = nn.LeakyReLU(0.2)
        self.conv3 = nn.Conv2d(channels[2], channels[3], kernel_size, stride, padding)
        self.relu3 = nn.LeakyReLU(0.2)
        self.sequential = nn.Sequential(
            self.conv1, self.relu1, self.conv2, self.relu2, self.conv3, self.relu3
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the three convolution layers."""
        return self.sequential(x)


class ICLabelNet(nn.Module):
    """The ICLabel network ("default" version, with autocorrelation input).

    Its ``state_dict`` matches the published ``ICLabelNet.pt``, which loads with
    ``load_state_dict(..., strict=True)``.

    Notes
    -----
    ``forward`` takes the formatted batch of ``B = 4 * n_components`` inputs
    (each component followed by its three mirrored / negated copies in blocks
    of ``n_components``) and returns the ``(n_components, 7)`` probabilities
    averaged over the four copies, like the published ONNX graph.
    """

    def __init__(self) -> None:
        super().__init__()
        self.img_conv = _Branch((1, 128, 256, 512), (4, 4), (2, 2), (1, 1))
        self.psds_conv = _Branch((1, 128, 256, 1), (1, 3), (1, 1), (0, 1))
        self.autocorr_conv = _Branch((1, 128, 256, 1), (1, 3), (1, 1), (0, 1))
        self.conv = nn.Conv2d(712, 7, (4, 4), (1, 1), (0, 0))
        self.softmax = nn.Softmax(dim=1)
        self.seq = nn.Sequential(self.conv, self.softmax)

    def forward(
        self, images: torch.Tensor, psds: torch.Tensor, autocorr: torch.Tensor
    ) -> torch.Tensor:
        """Compute the averaged class probabilities.

        Parameters
        ----------
        images : Tensor, shape (B, 1, 32, 32)
            Formatted topographic maps.
        psds : Tensor, shape (B, 1, 1, 100) or (B // 4, 1, 1, 100)
            Formatted power spectra. The four copies of a component share its
            spectrum, so the first ``B // 4`` rows may be given alone: the
            branch then runs on a quarter of the batch.
        autocorr : Tensor, shape (B, 1, 1, 100) or (B // 4, 1, 1, 100)
            Formatted autocorrelations, like ``psds``.

        Returns
        -------
        labels : Tensor, shape (B // 4, 7)
            Class probabilities averaged over the four augmented copies.
        """
        batch = images.shape[0]
        # The image branch runs on a few dozen maps at a time: its layer
        # outputs then stay in the CPU caches and in memory the allocator
        # reuses (on 240 maps at once they take ~60 MB of fresh pages on every
        # call); 15% faster, the same numbers.
        features = [torch.cat([self.img_conv(x) for x in images.split(_IMAGE_CHUNK)])]
        # Each 1-D output (b, 1, 1, 100) becomes 100 channels constant over the
        # 4 x 4 grid of the image branch, y[b, f, i, j] = x[b, f], repeated for
        # the four copies if only one was given.
        for branch, x in ((self.psds_conv, psds), (self.autocorr_conv, autocorr)):
            x = branch(x).reshape(x.shape[0], 100, 1, 1).expand(-1, -1, 4, 4)
            features.append(x if x.shape[0] == batch else x.repeat(4, 1, 1, 1))
        x = torch.cat(features, dim=1)
        proba = self.seq(x).reshape(batch, 7)
        return proba.reshape(4, batch // 4, 7).mean(dim=0)


def load(fname: Path) -> ICLabelNet:
    """Build the network from ``ICLabelNet.pt`` (strict state_dict load)."""
    state = torch.load(fname, map_location="cpu", weights_only=True)
    # built without memory (no random initialisation), then given the tensors
    with torch.device("meta"):
        model = ICLabelNet()
    model.load_state_dict(state, strict=True, assign=True)
    return model.float().eval()


def run(
    model: ICLabelNet, topo: np.ndarray, psds: np.ndarray, autocorr: np.ndarray
) -> np.ndarray:
    """Forward pass of the formatted batch, see ``_backends``."""
    n_components = topo.shape[0] // 4
    with torch.inference_mode():
        out = model(
            torch.from_numpy(topo),
            torch.from_numpy(psds[:n_components]),
            torch.from_numpy(autocorr[:n_components]),
        )
    return out.numpy()
