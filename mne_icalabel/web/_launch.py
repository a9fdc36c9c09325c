"""Start a review in a browser: one recording or a labelled BIDS dataset."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from ._api import Api
from ._server import ReviewServer
from ._session import RecordingSession, WebDataset

#: recordings are prepared in this many threads (numpy releases the GIL)
_PREPARE_THREADS = 2


def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        _PREPARE_THREADS, thread_name_prefix="mne-icalabel-prepare"
    )


def serve_recording(
    inst,
    ica,
    *,
    scores=None,
    tsv_fname=None,
    ica_fname=None,
    author: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    base_url: str = "/",
    open_browser: bool = False,
) -> ReviewServer:
    """Serve the labelling of one (inst, ica) pair; return the running server.

    The plots are computed at once in a background thread. Labels go to
    ``ica.labels_`` as they are made; Save writes ``tsv_fname`` and
    ``ica_fname`` (the only files written).
    """
    session = RecordingSession(
        inst,
        ica,
        executor=_executor(),
        scores=scores,
        tsv_fname=tsv_fname,
        ica_fname=ica_fname,
        author=author,
    )
    server = ReviewServer(
        Api(session),
        host=host,
        port=port,
        base_url=base_url,
        title="ICA Component Labeler",
    ).start()
    server.session = session
    if open_browser:
        _open(server.url)
    return server


def serve_dataset(
    bids_root: str | os.PathLike,
    *,
    subjects=None,
    sessions=None,
    tasks=None,
    runs=None,
    datatype: str = "eeg",
    author: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    base_url: str = "/",
    open_browser: bool = False,
) -> ReviewServer:
    """Serve the review of a labelled BIDS dataset; return the running server.

    The first recording of the review order is prepared at once.
    """
    review = WebDataset(
        bids_root,
        executor=_executor(),
        subjects=subjects,
        sessions=sessions,
        tasks=tasks,
        runs=runs,
        datatype=datatype,
        author=author,
    )
    server = ReviewServer(
        Api(review),
        host=host,
        port=port,
        base_url=base_url,
        title=f"ICA Review - {review.queue.bids_root.name}",
    ).start()
    server.review = review
    if open_browser:
        _open(server.url)
    return server


def _open(url: str) -> None:
    """Open ``url`` in the default browser, unless there is no screen.

    On Linux without ``DISPLAY`` or ``WAYLAND_DISPLAY`` (an SSH session, a
    cluster node) nothing is opened: a text-mode browser would take the
    terminal. The URL is printed by the command line anyway.
    """
    import sys
    import webbrowser

    from mne.utils import logger

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        logger.info("No display: open the URL in a browser yourself.")
        return
    webbrowser.open(url, new=2)
