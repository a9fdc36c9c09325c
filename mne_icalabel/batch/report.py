"""HTML report of a labelled ICA: probability table and topomaps coloured by label."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from mne.utils import _check_option, _validate_type, logger, verbose

from ..annotation.bids import read_components_tsv
from ..annotation.policy import ExclusionPolicy
from ..derivatives import read_table, save_report
from ..methods import get_method, method_names
from ..methods._prepare import prepare_recording
from ..utils._docs import fill_doc
from .ica import describe_ica

if TYPE_CHECKING:
    from mne import BaseEpochs, Report
    from mne.io import BaseRaw
    from mne.preprocessing import ICA

# one colour per class; artifacts in warm colours, brain in green
LABEL_COLORS: dict[str, str] = {
    "brain": "#2ca02c",
    "brain/other": "#2ca02c",
    "muscle artifact": "#d62728",
    "eye blink": "#1f77b4",
    "eye movement": "#17becf",
    "heart beat": "#9467bd",
    "line noise": "#ff7f0e",
    "channel noise": "#8c564b",
    "other": "#7f7f7f",
}


def _class_names(method: str) -> list[str]:
    return list(get_method(method).classes)


def _probability_table(proba: np.ndarray, method: str, excluded=()) -> str:
    """Render the (n_components, n_classes) probabilities as an HTML table.

    The components of ``excluded`` are marked ``excluded``, the others ``kept``.
    """
    classes = _class_names(method)
    predicted = np.argmax(proba, axis=1)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in classes)
    rows = []
    for k, (row, best) in enumerate(zip(proba, predicted, strict=True)):
        label = classes[best]
        color = LABEL_COLORS.get(label, "#7f7f7f")
        cells = "".join(
            f"<td{' style=font-weight:bold' if j == best else ''}>{p:.3f}</td>"
            for j, p in enumerate(row)
        )
        status = "excluded" if k in excluded else "kept"
        rows.append(
            f"<tr><td>ICA{k:03d}</td><td>{status}</td>"
            f"<td style='color:{color};font-weight:bold'>{html.escape(label)}</td>"
            f"<td>{row[best]:.3f}</td>{cells}</tr>"
        )
    return (
        "<table class='table table-sm table-hover'><thead><tr><th>component</th>"
        f"<th>status</th><th>label</th><th>probability</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _topomap_grid(ica: ICA, labels: list[str], titles: list[str]):
    """Plot every component's topomap, framed and titled in its label's colour."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    n = ica.n_components_
    n_cols = min(n, 5)
    n_rows = int(np.ceil(n / n_cols))
    fig = Figure(figsize=(2.0 * n_cols, 2.2 * n_rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    ica.plot_components(
        picks=np.arange(n),
        axes=axes[:n],
        show=False,
        colorbar=False,
        contours=0,
        res=48,
    )
    for k, ax in enumerate(axes):
        if k >= n:
            ax.set_axis_off()
            continue
        label = labels[k]
        color = LABEL_COLORS.get(label, "#7f7f7f")
        ax.set_title(
            f"ICA{k:03d}\n{titles[k]}",
            color=color,
            fontsize=9,
            fontweight="bold",
        )
        ax.set_axis_on()
        ax.set_frame_on(True)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color(color)
            spine.set_linewidth(3)
    present = list(dict.fromkeys(labels))
    fig.legend(
        handles=[Patch(color=LABEL_COLORS.get(c, "#7f7f7f"), label=c) for c in present],
        loc="outside lower center",
        ncols=min(len(present), 4),
        frameon=False,
    )
    return fig


_SOURCE_SECONDS = 10.0


def _sources_figure(inst, ica: ICA, labels: np.ndarray):
    """Plot the first seconds of every component, in the colour of its label."""
    from matplotlib.figure import Figure

    sources = ica.get_sources(inst).get_data()
    if sources.ndim == 3:  # epochs: concatenate in time
        sources = np.concatenate(list(sources), axis=-1)
    sfreq = inst.info["sfreq"]
    sources = sources[:, : int(_SOURCE_SECONDS * sfreq)]
    sources = sources / (6 * sources.std(axis=1, keepdims=True) + 1e-30)
    times = np.arange(sources.shape[1]) / sfreq
    n = len(sources)
    fig = Figure(figsize=(10, 0.35 * n + 1), layout="constrained")
    ax = fig.subplots()
    for k, trace in enumerate(sources):
        ax.plot(times, trace - k, color=LABEL_COLORS.get(labels[k], "#7f7f7f"), lw=0.6)
    ax.set(
        yticks=-np.arange(n),
        yticklabels=[f"ICA{k:03d} {labels[k]}" for k in range(n)],
        xlabel="Time (s)",
        xlim=(0, times[-1] if len(times) else 1),
        ylim=(-n, 1),
    )
    return fig


@verbose
@fill_doc
def make_report(
    inst: BaseRaw | BaseEpochs,
    ica: ICA,
    proba: np.ndarray,
    method: str = "iclabel",
    fname: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    policy=None,
    excluded=None,
    decision=None,
    verbose=None,
) -> Report:
    """Build an HTML report of labelled ICA components.

    Parameters
    ----------
    %(inst)s
    %(ica)s
    proba : ndarray of shape (n_components, n_classes) | dict
        The probabilities returned by the labelling method (7 ICLabel or 4
        MEGNet classes, in the order of
        :data:`mne_icalabel.config.ICALABEL_METHODS_NUMERICAL_TO_STRING`); for
        ``method="both"``, a dict with the arrays of ``"iclabel"`` and
        ``"megnet"``.
    method : ``"iclabel"`` | ``"megnet"`` | ``"both"``
        The method that produced ``proba``. ``"both"`` shows one table per
        network and colours the topomaps by the combined class (see
        :func:`label_recording`).
    fname : path-like | None
        Where to save the report (``.html``); an existing file is replaced.
        ``None`` does not save it.
    title : str | None
        Title of the report; ``None`` uses the recording's file name if known.
    %(policy)s
    excluded : list of int | None
        The components to show as excluded (e.g. the ``bad`` rows of the
        components TSV, manual decisions included); ``None``: those the
        policy excludes.
    decision : Decision | None
        The policy's decision on these probabilities, when the caller has it
        (:meth:`ExclusionPolicy.decide
        <mne_icalabel.annotation.policy.ExclusionPolicy.decide>`); ``None``
        asks the policy.
    %(verbose)s

    Returns
    -------
    report : mne.Report
        The report, with a section "Labels" holding the policy, the
        probability table (with each component's decision) and the grid of
        component topomaps coloured by predicted label, and a
        section "Components" with the time courses of the components.
    """
    import mne

    _check_option("method", method, method_names())
    components = get_method(method).components
    if components:
        _validate_type(proba, dict, "proba", f"dict for method={method!r}")
        missing = [m for m in components if m not in proba]
        if missing:
            raise ValueError(f"proba misses the probabilities of {missing}.")
        probabilities = {m: np.asarray(proba[m]) for m in components}
    else:
        probabilities = {method: np.asarray(proba)}
    for name, values in probabilities.items():
        n_classes = len(_class_names(name))
        if values.shape != (ica.n_components_, n_classes):
            raise ValueError(
                f"proba must have shape ({ica.n_components_}, {n_classes}) for "
                f"{name} and this ICA, got {values.shape}."
            )
    _validate_type(title, (str, None), "title")
    _validate_type(policy, (ExclusionPolicy, None), "policy", "ExclusionPolicy")
    policy = (ExclusionPolicy() if policy is None else policy).check(probabilities)
    if title is None:
        filenames = getattr(inst, "filenames", None) or [None]
        title = Path(filenames[0]).name if filenames[0] else "ICA labels"
    report = mne.Report(title=title, verbose=False)
    if decision is None:
        decision = policy.decide(
            probabilities if components else probabilities[method], method
        )
    if components:
        labels = np.array(decision.labels)
        titles = list(labels)
    else:
        proba = probabilities[method]
        labels = np.array(_class_names(method))[np.argmax(proba, axis=1)]
        best = proba.max(axis=1)
        titles = [f"{lab} ({p:.2f})" for lab, p in zip(labels, best, strict=True)]
    if excluded is None:
        excluded = decision.exclude
    excluded = {int(k) for k in excluded}
    titles = [
        t + ("\n[excluded]" if k in excluded else "") for k, t in enumerate(titles)
    ]
    counts = ", ".join(
        f"{name}: {int(np.sum(labels == name))}" for name in dict.fromkeys(labels)
    )
    rule = (
        " A component is excluded when the policy excludes it for either network."
        if components
        else ""
    )
    listed = ", ".join(f"ICA{k:03d}" for k in sorted(excluded)) or "none"
    summary = (
        f"<p>{html.escape(describe_ica(ica))}, labelled with "
        f"{' and '.join(get_method(m).display_name for m in probabilities)}. "
        f"{html.escape(counts)}.</p><p>Exclusion policy: "
        f"{html.escape(policy.summary(probabilities))}.{rule} Excluded: "
        f"{listed}.</p>"
    )
    tables = "".join(
        (f"<h4>{get_method(m).display_name}</h4>" if components else "")
        + _probability_table(values, m, excluded)
        for m, values in probabilities.items()
    )
    report.add_html(summary + tables, title="Probabilities", section="Labels")
    fig = _topomap_grid(ica, list(labels), titles)
    report.add_figure(
        fig,
        title="Topographies",
        caption="Component topomaps; title and frame in the colour of the label.",
        section="Labels",
    )
    report.add_figure(
        _sources_figure(inst, ica, labels),
        title="Time courses",
        caption=f"The first {_SOURCE_SECONDS:g} s of each component.",
        section="Components",
    )
    if fname is not None:
        save_report(report, fname)
        logger.info(f"Wrote the report {fname}")
    return report


#: channels shown before/after cleaning, those the cleaning changed most
_N_OVERLAY_CHANNELS = 5
_OVERLAY_SECONDS = 10.0
_DECISION_COLUMNS = (
    "component",
    "ic_type",
    "status_description",
    "annotate_method",
    "annotate_author",
)


def _removed_table(tsv: Path) -> tuple[str, list[int]]:
    """HTML table of the TSV rows whose status is bad, and their components."""
    table = read_table(tsv)
    header, rows = table.header, table.rows
    idx = {col: header.index(col) for col in _DECISION_COLUMNS if col in header}
    status = header.index("status") if "status" in header else None
    bad = sorted(
        (row for row in rows if status is not None and row[status] == "bad"),
        key=lambda row: int(row[header.index("component")]),
    )
    head = "".join(f"<th>{html.escape(col)}</th>" for col in idx)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(row[k])}</td>" for k in idx.values())
        + "</tr>"
        for row in bad
    )
    table = (
        "<table class='table table-sm table-hover'><thead><tr>"
        f"{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    return table, [int(row[header.index("component")]) for row in bad]


def _psd_figure(before, after, picks: list[str]):
    """Mean log power spectrum of the ICA's channels, per type, before and after."""
    from matplotlib.figure import Figure

    fmax = min(100.0, before.info["sfreq"] / 2.0)
    kwargs = dict(picks=picks, fmax=fmax, verbose=False)
    spectra = [inst.compute_psd(**kwargs) for inst in (before, after)]
    types = np.array(spectra[0].get_channel_types())
    kinds = list(dict.fromkeys(types))
    fig = Figure(figsize=(8, 3 * len(kinds)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(kinds), 1))
    for ax, kind in zip(axes, kinds, strict=True):
        for spectrum, color, name in zip(
            spectra, ("#d62728", "k"), ("before", "after"), strict=True
        ):
            # mean over channels of the power in dB (re 1 unit^2/Hz)
            power = 10 * np.log10(
                np.maximum(spectrum.get_data()[types == kind], 1e-300)
            )
            ax.plot(spectrum.freqs, power.mean(axis=0), color=color, label=name, lw=1)
        ax.set(
            title=f"{kind}: mean over {int(np.sum(types == kind))} channels",
            xlabel="Frequency (Hz)",
            ylabel="Power (dB)",
        )
        ax.legend(frameon=False)
    return fig


def _most_changed(before, after, picks: list[str], n: int) -> list[str]:
    """Return the channels whose RMS changed most, relative to their own RMS."""
    data0, data1 = before.get_data(picks), after.get_data(picks)
    rms = np.sqrt(np.mean(data0**2, axis=1)) + 1e-30
    change = np.sqrt(np.mean((data0 - data1) ** 2, axis=1)) / rms
    order = np.argsort(change)[::-1][:n]
    return [picks[k] for k in sorted(order)]


def add_cleaning_section(
    report: Report, before, after, ica: ICA, tsv: str | os.PathLike
) -> Report:
    """Add the section "Cleaning" to a report: what was removed, before and after.

    Parameters
    ----------
    report : mne.Report
        Changed in place.
    before, after : Raw
        The recording, referenced (and filtered) as it was given to
        :meth:`mne.preprocessing.ICA.apply`, and the cleaned recording.
    ica : ICA
        The ICA applied.
    tsv : path-like
        The components TSV whose ``bad`` rows were removed.

    Returns
    -------
    report : mne.Report
        The report, with the table of the removed components and their
        decisions, the signals of the channels changed most before and after
        (:meth:`mne.preprocessing.ICA.plot_overlay`), and the mean spectra of
        the ICA's channels before and after.
    """
    import matplotlib.pyplot as plt

    table, exclude = _removed_table(Path(tsv))
    n = ica.n_components_
    if not exclude:
        text = (
            f"<p>No component of {n} is marked bad in {html.escape(Path(tsv).name)}: "
            "the cleaned recording is the referenced recording.</p>"
        )
        report.add_html(text, title="Removed components", section="Cleaning")
        return report
    text = (
        f"<p>{len(exclude)} of {n} components removed, as marked bad in "
        f"{html.escape(Path(tsv).name)}:</p>"
    )
    report.add_html(text + table, title="Removed components", section="Cleaning")
    picks = _most_changed(before, after, list(ica.ch_names), _N_OVERLAY_CHANNELS)
    stop = min(_OVERLAY_SECONDS, before.times[-1])
    fig = ica.plot_overlay(
        before, exclude=exclude, picks=picks, start=0.0, stop=stop, show=False
    )
    try:
        report.add_figure(
            fig,
            title="Signals before and after",
            caption=f"The first {stop:g} s of {', '.join(picks)}, the channels the "
            "cleaning changed most (before: red, after: black).",
            section="Cleaning",
        )
    finally:
        plt.close(fig)
    report.add_figure(
        _psd_figure(before, after, list(ica.ch_names)),
        title="Spectra before and after",
        caption="Mean power spectrum of the channels of the ICA.",
        section="Cleaning",
    )
    return report


def write_cleaning_report(
    stored, before, after, ica: ICA, tsv: Path, method: str, fname: Path
) -> Path:
    """Rewrite a recording's report: its labels and the section "Cleaning".

    ``stored`` is the recording as read, prepared here as it was for
    labelling (:func:`prepare_recording`) for the sections of
    :func:`make_report`; the report is replaced atomically.
    """
    import mne

    title = fname.name.removesuffix("_report.html")
    probabilities = read_components_tsv(tsv, verbose=False)["probabilities"]
    if probabilities:
        types = set(ica.get_channel_types())
        combined = "eeg" in types and bool(types & {"mag", "grad"})
        prepared = prepare_recording(stored, "both" if combined else method)
        components = get_method(method).components
        proba = probabilities if components else probabilities[method]
        report = make_report(prepared, ica, proba, method, None, title=title)
    else:
        report = mne.Report(title=title, verbose=False)
    add_cleaning_section(report, before, after, ica, tsv)
    save_report(report, fname)
    logger.info(f"Wrote the report {fname}")
    return fname
