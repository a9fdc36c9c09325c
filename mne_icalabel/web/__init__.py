"""Review the component labels in a browser or a Jupyter notebook.

One front end (HTML, CSS and JavaScript in ``static/``, no build step, no
network access) draws what the Qt window draws and forwards key presses and
clicks as *intents*. Every rule (which key labels what, manual rows, saving,
read-only while a ``bids`` run rewrites a recording, the SHA-256 guard) stays
in Python: :mod:`._session` adapts the Qt-free review pieces to the few calls
a front end needs, :mod:`._api` answers those calls, :mod:`._server` serves
them over HTTP (tornado) and :mod:`._widget` in a notebook cell (anywidget).
Nothing here imports Qt.
"""
