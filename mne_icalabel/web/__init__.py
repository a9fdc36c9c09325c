"""Review the component labels in a browser or a Jupyter notebook.

One front end (HTML, CSS and JavaScript in ``static/``, no build step, no
network access) draws what the Qt window draws and forwards key presses and
clicks as *intents*. Every rule (which key labels what, manual rows, saving,
read-only while a ``bids`` run rewrites a recording, the SHA-256 guard) stays
in the review model (:mod:`mne_icalabel.review`), shared with the Qt windows:
:mod:`._session` draws it as the page's JSON, :mod:`._api` answers the page's
calls, :mod:`._server` serves them over HTTP (tornado) and :mod:`._widget` in
a notebook cell (anywidget).
Nothing here imports Qt.
"""
