"""Simulated MEG (optionally with EEG) with brain dipoles, blinks and heartbeats.

The sensor layout comes from a real recording's measurement info (e.g. the
Neuromag-306 ``sample_audvis_trunc_raw_sss.fif``). The recording is the sum of:

- brain: a few current dipoles in a spherical head model fitted to the
  digitised head shape, tangential to the sphere (radial dipoles are silent in
  MEG), leadfield from :func:`mne.make_forward_dipole`; each has bursts of an
  oscillation (alpha, beta, theta) on a 1/f background;
- eye blinks and heartbeats from :func:`mne.simulation.add_eog` and
  :func:`mne.simulation.add_ecg`, which also write a noisy copy of the blink and
  cardiac time courses to the EOG and ECG channels: the ground truth;
- sensor noise from :func:`mne.simulation.add_noise` with MNE's ad-hoc
  covariance (optional);
- optionally a sinusoid at the line frequency on every MEG channel.

With ``eeg=True`` the EEG channels of the info are kept: the brain dipoles and
the blinks reach them through the same spherical head model (its EEG layers),
so one recording holds the same sources seen by both modalities. The
heartbeat and the line noise stay on the MEG channels.

The data are not filtered: filter and notch them as a real recording.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from ...utils._docs import fill_doc

if TYPE_CHECKING:
    from mne import Info
    from mne.io import RawArray

# peak frequency (Hz) of the oscillation of each brain dipole (cycled)
_BRAIN_PEAKS = (10.0, 20.0, 6.0, 11.0, 17.0, 9.0, 24.0, 5.0)
_DIPOLE_AMPLITUDE = 50e-9  # A·m, peak of each brain dipole
_LINE_AMPLITUDE = 2e-12  # T on magnetometers (gradiometers: / 4 cm)


@verbose
@fill_doc
def simulate_meg_raw(
    info: Info | str | os.PathLike,
    duration: float = 60.0,
    sfreq: float = 250.0,
    *,
    meg: str = "all",
    eeg: bool = False,
    n_dipoles: int = 4,
    blinks: bool = True,
    heartbeat: bool = True,
    sensor_noise: bool = True,
    line_noise: bool = False,
    line_freq: float = 60.0,
    random_state: int | None = 0,
    verbose=None,
) -> RawArray:
    """Simulate an MEG recording with brain dipoles, eye blinks and heartbeats.

    Parameters
    ----------
    info : Info | path-like
        Measurement info with MEG sensor positions, digitised head points and
        a device-to-head transform, or the path of a FIF file holding it (e.g.
        ``sample_audvis_trunc_raw_sss.fif``). Only its MEG and EOG channels are
        kept.
    duration : float
        Length of the recording in seconds.
    sfreq : float
        Sampling frequency in Hz.
    meg : ``"all"`` | ``"mag"`` | ``"grad"``
        Which MEG sensors to keep (``"all"``: magnetometers and gradiometers,
        306 channels for a Neuromag system).
    eeg : bool
        Also keep the EEG channels of ``info`` (they need positions, e.g. the
        60 of ``sample_audvis_trunc_raw_sss.fif``) and simulate the brain and
        blink sources on them. No reference is applied to the EEG.
    n_dipoles : int
        Number of brain dipoles (at least 1).
    blinks : bool
        Add eye blinks (:func:`mne.simulation.add_eog`). Their noisy time course
        is written to the EOG channel.
    heartbeat : bool
        Add the cardiac artifact (:func:`mne.simulation.add_ecg`). Its noisy
        time course is written to the ECG channel ``"ECG 063"``.
    sensor_noise : bool
        Add coloured sensor noise with MNE's ad-hoc covariance.
    line_noise : bool
        Add a sinusoid at ``line_freq`` on all MEG channels.
    line_freq : float
        Line frequency stored in ``raw.info["line_freq"]``.
    random_state : int | None
        Seed of every random draw (dipoles, waveforms, blinks, beats, noise).
    %(verbose)s

    Returns
    -------
    raw : RawArray
        The recording (preloaded, unfiltered: ``highpass=0``,
        ``lowpass=sfreq/2``), with the MEG channels (then the EEG channels if
        ``eeg``), one EOG channel and one ECG channel. The EOG/ECG channels
        hold zeros when ``blinks`` / ``heartbeat`` is False.
    """
    import mne

    _validate_type(info, (mne.Info, "path-like"), "info")
    _check_option("meg", meg, ("all", "mag", "grad"))
    _validate_type(eeg, bool, "eeg")
    if duration <= 0 or sfreq <= 0:
        raise ValueError(
            f"duration and sfreq must be positive, got {duration} and {sfreq}."
        )
    if n_dipoles < 1:
        raise ValueError(f"n_dipoles must be at least 1, got {n_dipoles}.")
    if not isinstance(info, mne.Info):
        info = mne.io.read_info(info, verbose=False)
    rng = np.random.default_rng(random_state)

    picks = mne.pick_types(info, meg=True if meg == "all" else meg, eeg=eeg, eog=True)
    if eeg and not len(mne.pick_types(info, meg=False, eeg=True)):
        raise ValueError(
            "eeg=True needs an info with EEG channels (with positions); the given "
            "info has none. Use eeg=False or another recording's info."
        )
    info = mne.pick_info(info, picks, verbose=False)
    with info._unlock():
        info["sfreq"] = float(sfreq)
        info["highpass"] = 0.0
        info["lowpass"] = float(sfreq) / 2
        info["line_freq"] = float(line_freq)
        info["projs"] = []
        # The simulated data are not Maxwell-filtered: drop the SSS history,
        # which would make MNE expect a rank of ~70 instead of n_channels.
        info["proc_history"] = []
        info["bads"] = []
    n_times = int(round(duration * sfreq))
    times = np.arange(n_times) / sfreq
    raw = mne.io.RawArray(np.zeros((len(picks), n_times)), info, verbose=False)
    extra = [] if "eog" in info.get_channel_types() else [("EOG 061", "eog")]
    extra.append(("ECG 063", "ecg"))
    for name, kind in extra:
        channel = mne.io.RawArray(
            np.zeros((1, n_times)), mne.create_info([name], sfreq, kind), verbose=False
        )
        raw.add_channels([channel], force_update_info=True)

    meg_picks = mne.pick_types(raw.info, meg=True)
    meeg_picks = mne.pick_types(raw.info, meg=True, eeg=True)
    sphere = mne.make_sphere_model("auto", "auto", raw.info, verbose=False)
    raw._data[meeg_picks] = _brain_signals(raw.info, sphere, n_dipoles, times, rng)
    if line_noise:
        grads = np.isin(meg_picks, mne.pick_types(raw.info, meg="grad"))
        scale = np.where(grads, 1 / 0.04, 1.0)
        phase = rng.uniform(0, 2 * np.pi)
        line = np.sin(2 * np.pi * line_freq * times + phase)
        raw._data[meg_picks] += _LINE_AMPLITUDE * scale[:, None] * line[None]
    seed = int(rng.integers(2**31))
    if blinks:
        mne.simulation.add_eog(raw, rng=seed, verbose=False)
    if heartbeat:
        mne.simulation.add_ecg(raw, rng=seed + 1, verbose=False)
    if sensor_noise:
        cov = mne.make_ad_hoc_cov(raw.info, verbose=False)
        with warnings.catch_warnings():
            # MNE asks for an EEG average reference projector to whiten EEG; the
            # ad-hoc covariance is diagonal, so the reference changes nothing
            warnings.filterwarnings("ignore", "No average EEG reference")
            mne.simulation.add_noise(
                raw, cov, iir_filter=[0.2, -0.2, 0.04], rng=seed + 2, verbose=False
            )
    logger.info(
        f"Simulated {duration:g} s of MEG at {sfreq:g} Hz: {len(meg_picks)} MEG "
        f"and {len(meeg_picks) - len(meg_picks)} EEG channels, {n_dipoles} brain "
        f"dipoles, blinks={blinks}, "
        f"heartbeat={heartbeat}."
    )
    return raw


def _brain_signals(
    info: Info, sphere, n_dipoles: int, times: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """MEG/EEG signals of ``n_dipoles`` oscillating tangential dipoles.

    Returns
    -------
    data : ndarray of shape (n_meg + n_eeg, n_times)
        In the order of the MEG and EEG channels of ``info``.
    """
    import mne

    r0 = np.asarray(sphere["r0"])
    # positions: 3–6 cm from the sphere centre, in the upper half of the head
    direction = rng.standard_normal((n_dipoles, 3))
    direction[:, 2] = np.abs(direction[:, 2]) + 0.5
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    pos = r0 + direction * rng.uniform(0.03, 0.06, (n_dipoles, 1))
    # orientation: random, made tangential to the sphere
    ori = rng.standard_normal((n_dipoles, 3))
    ori -= np.sum(ori * direction, axis=1, keepdims=True) * direction
    ori /= np.linalg.norm(ori, axis=1, keepdims=True)
    dipole = mne.Dipole(
        np.zeros(n_dipoles), pos, np.ones(n_dipoles), ori, np.ones(n_dipoles)
    )
    picks = mne.pick_types(info, meg=True, eeg=True)
    meeg_info = mne.pick_info(info, picks, verbose=False)
    fwd, _ = mne.make_forward_dipole(dipole, sphere, meeg_info, verbose=False)
    # (n_channels, n_dipoles), one column per dipole; the forward lists MEG
    # then EEG channels, reordered here to the channels of info
    order = [fwd["sol"]["row_names"].index(name) for name in meeg_info["ch_names"]]
    gain = fwd["sol"]["data"][order]

    sfreq = 1.0 / (times[1] - times[0]) if times.size > 1 else 1.0
    waves = np.empty((n_dipoles, times.size))
    for k in range(n_dipoles):
        peak = _BRAIN_PEAKS[k % len(_BRAIN_PEAKS)]
        waves[k] = _bursty_oscillation(times, peak, sfreq, rng)
    return gain @ (waves * _DIPOLE_AMPLITUDE)


def _bursty_oscillation(
    times: np.ndarray, peak: float, sfreq: float, rng: np.random.Generator
) -> np.ndarray:
    """Bursts of a ``peak`` Hz oscillation over pink noise, peak amplitude ~1."""
    n_times = times.size
    # slowly varying envelope (bursts of ~0.5-2 s)
    n_knots = max(int(times[-1] if n_times > 1 else 1) + 2, 3)
    knots = rng.uniform(0, 1, n_knots) ** 2
    envelope = np.interp(times, np.linspace(times[0], times[-1], n_knots), knots)
    phase = 2 * np.pi * peak * times + rng.uniform(0, 2 * np.pi)
    phase += np.cumsum(rng.standard_normal(n_times)) * 0.02  # frequency jitter
    # 1/f background: white noise shaped in the frequency domain
    spectrum = np.fft.rfft(rng.standard_normal(n_times))
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, n_times)
    pink /= np.abs(pink).max() or 1.0
    signal = envelope * np.sin(phase) + 0.3 * pink
    return signal / np.abs(signal).max()
