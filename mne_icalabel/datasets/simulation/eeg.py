"""Simulated EEG with brain sources and the artifacts ICLabel recognises.

The recording is built as a sum of a few sources, each a spatial pattern
(a column of a leadfield) times a time course:

- brain: dipoles in a spherical head model (:func:`mne.make_sphere_model`), their
  leadfield computed once with :func:`mne.make_forward_dipole`; bursty
  oscillations (theta, alpha, beta) on a 1/f background;
- eye blinks, heartbeat, muscle: current dipoles outside the brain (eyes, heart,
  temporal muscles) whose potential on the electrodes follows the
  infinite-homogeneous-medium formula
  ``V(r) = p . (r - r0) / (4 pi sigma |r - r0|^3)`` — good enough for the
  characteristic frontal, far-field and focal patterns;
- line noise: one 50 Hz sinusoid with a smooth spatial gradient;
- sensor noise: independent white noise on each electrode.

Because every source is projected through a fixed matrix, ten minutes of
128-channel data take a few seconds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _ensure_int, _validate_type, logger, verbose

from ...utils._docs import fill_doc

if TYPE_CHECKING:
    from mne.channels import DigMontage
    from mne.io import RawArray

_BIOSEMI_SIZES = (16, 32, 64, 128, 160, 256)
_SIGMA = 0.33  # S/m, scalp/brain conductivity for the infinite-medium formula
_N_BRAIN = 8
# peak frequency (Hz) of the oscillation of each brain dipole
_BRAIN_PEAKS = (6.0, 10.0, 9.0, 11.0, 20.0, 5.0, 10.5, 17.0)
# target peak amplitude on the electrodes, in volts
_AMP_BRAIN = 10e-6
_AMP_BLINK = 120e-6
_AMP_HEART = 10e-6
_AMP_MUSCLE = 12e-6
_AMP_LINE = 4e-6
_AMP_SENSOR = 0.7e-6
_MEAS_DATE = datetime(2020, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


@verbose
@fill_doc
def simulate_eeg_raw(
    n_channels: int = 64,
    duration: float = 60.0,
    sfreq: float = 250.0,
    *,
    montage: str | DigMontage | None = None,
    blinks: bool = True,
    heartbeat: bool = True,
    muscle: bool = True,
    line_noise: bool = True,
    random_state: int | np.random.Generator | None = 0,
    verbose=None,
) -> RawArray:
    """Simulate an EEG recording with brain activity and typical artifacts.

    Parameters
    ----------
    n_channels : int
        Number of EEG electrodes (at least 8).
    duration : float
        Length of the recording in seconds.
    sfreq : float
        Sampling frequency in Hz. Must be above 100 Hz when ``line_noise`` is
        True (the 50 Hz line must be below Nyquist).
    montage : str | DigMontage | None
        The electrode layout. A name of :func:`mne.channels.make_standard_montage`
        or a montage. ``None`` picks the smallest BioSemi cap with at least
        ``n_channels`` electrodes (``biosemi16`` … ``biosemi256``). When the
        montage has more electrodes than ``n_channels``, an evenly spread subset
        is used (farthest-point sampling starting at the vertex).
    blinks : bool
        Add eye blinks (every 2–6 s) from two dipoles behind the eyes, and a
        vertical ``EOG`` channel with the blink time course (ground truth).
    heartbeat : bool
        Add the cardiac field (about 70 beats per minute) from a distant dipole,
        and an ``ECG`` channel with the cardiac time course (ground truth).
    muscle : bool
        Add bursts of broadband 20–120 Hz activity from two superficial
        temporal dipoles (left and right).
    line_noise : bool
        Add 50 Hz line noise with a smooth spatial gradient.
    random_state : int | Generator | None
        Seed of :func:`numpy.random.default_rng`. The same seed gives the same
        recording.
    %(verbose)s

    Returns
    -------
    raw : RawArray
        The simulated recording, in volts, with the montage set, ``n_channels``
        EEG channels plus the ground-truth ``EOG`` / ``ECG`` channels when
        requested, and a fixed measurement date. No filter or reference is
        applied.

    Notes
    -----
    The head is the sphere fitted to the electrode positions; brain dipoles
    lie within 75 percent of its radius. Each source is scaled so that its largest
    electrode amplitude is fixed (brain 10 µV, blink 120 µV, heart 10 µV,
    muscle 12 µV, line 4 µV; sensor noise 0.7 µV RMS). The time courses are
    non-Gaussian (bursts, spikes, sinusoids), so an ICA can separate them.
    """
    import mne

    n_channels = _ensure_int(n_channels, "n_channels")
    if n_channels < 8:
        raise ValueError(f"n_channels must be at least 8, got {n_channels}.")
    _validate_type(duration, "numeric", "duration")
    _validate_type(sfreq, "numeric", "sfreq")
    if duration <= 0 or sfreq <= 0:
        raise ValueError(
            f"duration and sfreq must be positive, got duration={duration} and "
            f"sfreq={sfreq}."
        )
    if line_noise and sfreq <= 100:
        raise ValueError(
            f"sfreq must be above 100 Hz to simulate 50 Hz line noise, got {sfreq}; "
            "increase sfreq or set line_noise=False."
        )
    _validate_type(montage, (str, mne.channels.DigMontage, None), "montage")
    for name, value in (
        ("blinks", blinks),
        ("heartbeat", heartbeat),
        ("muscle", muscle),
        ("line_noise", line_noise),
    ):
        _validate_type(value, bool, name)
    rng = np.random.default_rng(random_state)
    sfreq = float(sfreq)
    n_times = int(round(duration * sfreq))
    if n_times < 2:
        raise ValueError(f"duration={duration} s at {sfreq} Hz gives no samples.")

    montage = _get_montage(montage, n_channels)
    ch_names = _spread_subset(montage, n_channels)
    info = mne.create_info(ch_names, sfreq, "eeg")
    info.set_montage(montage, verbose=False)
    pos = np.array([ch["loc"][:3] for ch in info["chs"]])
    center, radius = _fit_sphere(pos)
    logger.info(
        f"Simulating {n_channels} EEG channels x {n_times / sfreq:.1f} s at "
        f"{sfreq:g} Hz (head sphere radius {radius * 1000:.0f} mm)"
    )

    times = np.arange(n_times) / sfreq
    patterns, courses = [], []

    # brain: dipoles inside the sphere, leadfield from MNE's sphere model
    brain_pattern = _brain_leadfield(info, center, radius, rng)
    patterns.append(brain_pattern / np.abs(brain_pattern).max(0) * _AMP_BRAIN)
    courses.append(_brain_courses(rng, n_times, sfreq))

    extra_names, extra_types, extra_data = [], [], []
    if blinks:
        course = _blink_course(rng, n_times, sfreq)
        pattern = _artifact_maps(pos, center, radius)["eye blink"]
        patterns.append(pattern / np.abs(pattern).max() * _AMP_BLINK)
        courses.append(course[None])
        extra_names.append("EOG")
        extra_types.append("eog")
        extra_data.append(course * 2 * _AMP_BLINK)
    if heartbeat:
        course = _heart_course(rng, n_times, sfreq)
        pattern = _artifact_maps(pos, center, radius)["heart beat"]
        patterns.append(pattern / np.abs(pattern).max() * _AMP_HEART)
        courses.append(course[None])
        extra_names.append("ECG")
        extra_types.append("ecg")
        extra_data.append(course * 1e-3)
    if muscle:
        pattern = _artifact_maps(pos, center, radius)["muscle artifact"]
        patterns.append(pattern / np.abs(pattern).max(0) * _AMP_MUSCLE)
        courses.append(_muscle_courses(rng, n_times, sfreq, 2))
    if line_noise:
        unit = (pos - center) / radius
        gradient = (
            1.0 + unit @ rng.normal(size=3) * 0.4 + rng.normal(size=len(pos)) * 0.1
        )
        patterns.append(gradient[:, None] / np.abs(gradient).max() * _AMP_LINE)
        phase = rng.uniform(0, 2 * np.pi)
        wobble = 1 + 0.1 * np.sin(2 * np.pi * 0.05 * times)
        courses.append((wobble * np.sin(2 * np.pi * 50.0 * times + phase))[None])

    data = np.concatenate(patterns, axis=1) @ np.concatenate(courses, axis=0)
    data += rng.normal(scale=_AMP_SENSOR, size=data.shape)
    if extra_names:
        aux = np.array(extra_data)
        aux += rng.normal(scale=0.02, size=aux.shape) * np.abs(aux).max(
            1, keepdims=True
        )
        info = mne.create_info(
            ch_names + extra_names, sfreq, ["eeg"] * n_channels + extra_types
        )
        info.set_montage(montage, verbose=False)
        data = np.concatenate([data, aux])
    info.set_meas_date(_MEAS_DATE)
    return mne.io.RawArray(data, info, verbose=False)


def _get_montage(montage: str | DigMontage | None, n_channels: int) -> DigMontage:
    """Resolve the montage argument to a DigMontage with enough electrodes."""
    import mne

    if montage is None:
        size = next((s for s in _BIOSEMI_SIZES if s >= n_channels), None)
        if size is None:
            raise ValueError(
                f"No BioSemi montage has {n_channels} electrodes (at most 256); "
                "pass a montage with enough electrodes or fewer n_channels."
            )
        montage = f"biosemi{size}"
    if isinstance(montage, str):
        montage = mne.channels.make_standard_montage(montage)
    n_available = len(montage.ch_names)
    if n_available < n_channels:
        raise ValueError(
            f"The montage has {n_available} electrodes, fewer than "
            f"n_channels={n_channels}; pass a larger montage or fewer n_channels."
        )
    return montage


def _spread_subset(montage: DigMontage, n_channels: int) -> list[str]:
    """Pick ``n_channels`` electrode names spread evenly over the cap."""
    ch_pos = montage.get_positions()["ch_pos"]
    names = list(ch_pos)
    if n_channels == len(names):
        return names
    pos = np.array([ch_pos[name] for name in names])
    pos = pos - pos.mean(0)
    # farthest-point sampling from the highest electrode (the vertex)
    chosen = [int(np.argmax(pos[:, 2]))]
    dist = np.linalg.norm(pos - pos[chosen[0]], axis=1)
    for _ in range(n_channels - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(pos - pos[nxt], axis=1))
    return [names[k] for k in sorted(chosen)]


def _fit_sphere(pos: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares sphere through points: |p|^2 = 2 p.c + (r^2 - |c|^2)."""
    design = np.column_stack([2 * pos, np.ones(len(pos))])
    sol = np.linalg.lstsq(design, (pos**2).sum(1), rcond=None)[0]
    center = sol[:3]
    radius = float(np.sqrt(sol[3] + center @ center))
    return center, radius


def _brain_leadfield(
    info, center: np.ndarray, radius: float, rng: np.random.Generator
) -> np.ndarray:
    """Leadfield (n_channels, n_dipoles) of random cortical dipoles."""
    import mne

    direction = rng.normal(size=(_N_BRAIN, 3))
    direction[:, 2] = np.abs(direction[:, 2]) + 0.3  # keep them in the upper head
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    depth = rng.uniform(0.5, 0.75, size=(_N_BRAIN, 1)) * radius
    dip_pos = center + direction * depth
    # mostly radial, as cortical columns on the gyral crowns are
    ori = direction + rng.normal(scale=0.4, size=direction.shape)
    ori /= np.linalg.norm(ori, axis=1, keepdims=True)
    dipole = mne.Dipole(
        times=np.zeros(_N_BRAIN),
        pos=dip_pos,
        amplitude=np.full(_N_BRAIN, 1e-8),
        ori=ori,
        gof=np.full(_N_BRAIN, 100.0),
    )
    sphere = mne.make_sphere_model(r0=center, head_radius=radius, verbose=False)
    fwd, _ = mne.make_forward_dipole(dipole, sphere, info, verbose=False)
    return np.asarray(fwd["sol"]["data"], dtype=np.float64)


def _dipole_field(
    pos: np.ndarray,
    center: np.ndarray,
    radius: float,
    location: tuple[float, float, float],
    orientation: tuple[float, float, float],
) -> np.ndarray:
    """Potential of a unit current dipole in an infinite homogeneous medium.

    ``location`` is in units of the head radius from the sphere centre (x right,
    y anterior, z up).
    """
    r0 = center + np.asarray(location, float) * radius
    moment = np.asarray(orientation, float)
    moment /= np.linalg.norm(moment)
    diff = pos - r0
    return diff @ moment / (4 * np.pi * _SIGMA * np.linalg.norm(diff, axis=1) ** 3)


# the dipoles of each artifact, as (location, orientation) in head radii from the
# sphere centre: two behind the eyes with the same blink time course (one map),
# a distant one below the head for the heart, one per temporal muscle
_ARTIFACT_DIPOLES = {
    "eye blink": (
        ((-0.34, 0.8, -0.35), (0, 0.5, 0.87)),
        ((0.34, 0.8, -0.35), (0, 0.5, 0.87)),
    ),
    "heart beat": (((-0.6, 0.2, -3.0), (0.8, 0, -0.6)),),
    "muscle artifact": (
        ((-0.9, 0.15, -0.15), (0, 0, 1)),
        ((0.9, 0.15, -0.15), (0, 0, 1)),
    ),
}


def _artifact_maps(pos: np.ndarray, center=None, radius=None) -> dict[str, np.ndarray]:
    """Return the electrode maps (n_channels, n_sources) of each artifact class.

    The blink has one source (both eyes share its time course), the heart one,
    the muscles two (left, right). Up to scale, these are the true mixing maps of
    the artifacts of :func:`simulate_eeg_raw` for electrodes at ``pos``
    (the sphere is fitted to ``pos`` unless given).
    """
    if center is None:
        center, radius = _fit_sphere(pos)
    maps = {}
    for name, dipoles in _ARTIFACT_DIPOLES.items():
        fields = [_dipole_field(pos, center, radius, *dipole) for dipole in dipoles]
        maps[name] = np.stack(fields, axis=1)
    maps["eye blink"] = maps["eye blink"].sum(axis=1, keepdims=True)
    return maps


def _spectral_noise(
    rng: np.random.Generator, n_signals: int, n_times: int, gain: np.ndarray
) -> np.ndarray:
    """Gaussian noise with amplitude spectrum ``gain`` (n_signals or 1, n_freqs)."""
    n_freqs = n_times // 2 + 1
    spectrum = rng.normal(size=(n_signals, n_freqs)) + 1j * rng.normal(
        size=(n_signals, n_freqs)
    )
    out = np.fft.irfft(spectrum * gain, n=n_times, axis=-1)
    out -= out.mean(-1, keepdims=True)
    std = out.std(-1, keepdims=True)
    return out / np.where(std > 0, std, 1.0)


def _envelope(rng: np.random.Generator, n: int, n_times: int, sfreq: float):
    """Positive, slowly varying, bursty envelopes (log-normal), unit mean."""
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    gain = np.exp(-0.5 * (freqs / 0.5) ** 2)
    gain[0] = 0
    env = np.exp(1.0 * _spectral_noise(rng, n, n_times, gain))
    return env / env.mean(-1, keepdims=True)


def _brain_courses(rng: np.random.Generator, n_times: int, sfreq: float):
    """Bursty band-limited oscillations on a 1/f background, unit variance."""
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    peaks = np.asarray(_BRAIN_PEAKS)[:, None]
    bump = np.exp(-0.5 * ((freqs - peaks) / 1.0) ** 2)
    oscillation = _spectral_noise(rng, _N_BRAIN, n_times, bump)
    pink_gain = 1 / np.sqrt(np.maximum(freqs, 1.0))
    pink_gain[0] = 0
    background = _spectral_noise(rng, _N_BRAIN, n_times, pink_gain[None])
    courses = oscillation * _envelope(rng, _N_BRAIN, n_times, sfreq)
    courses += 0.5 * background * _envelope(rng, _N_BRAIN, n_times, sfreq)
    return courses / courses.std(-1, keepdims=True)


def _events(
    rng: np.random.Generator, n_times: int, sfreq: float, low: float, high: float
):
    """Sample indices of events separated by uniform(low, high) seconds."""
    onsets, t = [], rng.uniform(0, high)
    duration = n_times / sfreq
    while t < duration:
        onsets.append(int(t * sfreq))
        t += rng.uniform(low, high)
    return np.array(onsets, int)


def _place(course: np.ndarray, onsets: np.ndarray, shape: np.ndarray, amps):
    """Add ``amp * shape`` at each onset, clipped at the end of ``course``."""
    for onset, amp in zip(onsets, amps, strict=True):
        stop = min(onset + len(shape), len(course))
        course[onset:stop] += amp * shape[: stop - onset]


def _blink_course(rng: np.random.Generator, n_times: int, sfreq: float):
    """Blinks: 250-400 ms raised-cosine bumps every 2-6 s, peak about 1."""
    course = np.zeros(n_times)
    onsets = _events(rng, n_times, sfreq, 2.0, 6.0)
    width = int(0.32 * sfreq)
    shape = np.sin(np.linspace(0, np.pi, width)) ** 2
    _place(course, onsets, shape, rng.uniform(0.7, 1.0, len(onsets)))
    return course


def _heart_course(rng: np.random.Generator, n_times: int, sfreq: float):
    """Simulate a PQRST complex about 70 times a minute, R peak about 1."""
    course = np.zeros(n_times)
    onsets = _events(rng, n_times, sfreq, 0.78, 0.92)
    t = np.arange(int(0.6 * sfreq)) / sfreq
    # (latency s, width s, amplitude) of the P, Q, R, S and T waves
    waves = ((0.08, 0.02, 0.12), (0.16, 0.008, -0.15), (0.18, 0.01, 1.0))
    waves += ((0.2, 0.008, -0.25), (0.4, 0.04, 0.3))
    shape = sum(a * np.exp(-0.5 * ((t - lat) / w) ** 2) for lat, w, a in waves)
    _place(course, onsets, shape, rng.uniform(0.9, 1.1, len(onsets)))
    return course


def _muscle_courses(rng: np.random.Generator, n_times: int, sfreq: float, n: int):
    """Bursts (0.5-2 s) of 20-120 Hz noise, every 2-8 s, unit variance."""
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    gain = ((freqs > 20) & (freqs < 120)).astype(float)
    carrier = _spectral_noise(rng, n, n_times, gain[None])
    envelope = np.full((n, n_times), 0.05)
    for k in range(n):
        onsets = _events(rng, n_times, sfreq, 2.0, 8.0)
        width = int(rng.uniform(0.5, 2.0) * sfreq)
        shape = np.hanning(width)
        _place(envelope[k], onsets, shape, rng.uniform(0.5, 1.0, len(onsets)))
    courses = carrier * envelope
    return courses / courses.std(-1, keepdims=True)
