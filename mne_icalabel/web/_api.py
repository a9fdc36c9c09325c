"""The calls a front end makes, answered the same way over HTTP and in a notebook.

:meth:`Api.call` takes a method name and JSON parameters and returns a
JSON-able answer and, for a time course, raw bytes. It validates every
parameter: a recording or a component is an index, never a path, and an
intent is one of a fixed list. Calls are thread-safe (one lock per tab).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from mne.utils import logger

from ._payload import component_bytes, plot_payload
from ._session import (
    RecordingSession,
    TSVChangedError,
    UnsavedDecisionsError,
    WebDataset,
)

#: intents and the type of each of their parameters (``label_automatically``,
#: which takes none, is answered apart: outside the tab's lock)
INTENTS = {
    "select": {"component": int},
    "step": {"step": int},
    "set_label": {"component": int, "label": (str, type(None))},
    "press": {"key": str},
    "set_auto_advance": {"value": bool},
    "save": {"force": bool},
    "show_recording": {"index": int, "discard": bool},
    "step_recording": {"step": int, "discard": bool},
}
#: the review model's name of an intent's parameter, where it differs
_KEYWORDS = {("set_auto_advance", "value"): "enabled"}
_OPTIONAL = {"force", "discard"}
#: sessions (tabs) and plot arrays kept, the least recently used dropped first
#: (a session with unsaved decisions is never dropped)
_MAX_SESSIONS = 64
_MAX_DATA = 8


class ApiError(Exception):
    """A refused call: an HTTP status, a reason, a kind for the page."""

    def __init__(self, status: int, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def _param(params: dict, name: str, kind, of: str = "the call"):
    if name not in params:
        raise ApiError(400, f"Parameter {name!r} of {of} is missing.")
    value = params[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ApiError(400, f"Parameter {name!r} of {of} has the wrong type.")
    return value


class Api:
    """Answer a front end's calls about one recording or one dataset.

    Parameters
    ----------
    target : RecordingSession | WebDataset
        One recording (every tab shows the same labels) or a dataset (each tab
        has its own :class:`~._session.DatasetSession`).
    """

    def __init__(self, target: RecordingSession | WebDataset) -> None:
        self.target = target
        self._sessions: OrderedDict[str, object] = OrderedDict()
        self._data: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ helpers
    def _session(self, params: dict):
        sid = params.get("session")
        with self._lock:
            session = self._sessions.get(sid) if isinstance(sid, str) else None
            if session is not None:
                self._sessions.move_to_end(sid)
        if session is None:
            raise ApiError(404, "Unknown session: reload the page.", "session")
        return session

    def _data_id(self, data) -> str:
        with self._lock:
            for key, value in self._data.items():
                if value is data:
                    self._data.move_to_end(key)
                    return key
            key = secrets.token_hex(8)
            self._data[key] = data
            while len(self._data) > _MAX_DATA:
                self._data.popitem(last=False)
            return key

    def _state(self, session) -> dict:
        state = session.to_dict()
        data = None
        if session.kind == "recording":
            future = session.data_future
            if future.done() and future.exception() is None:
                data = future.result()
            elif future.done():
                state["message"] = (
                    f"The plots could not be computed: {future.exception()}"
                )
        else:
            data = session.data() if session.loaded is not None else None
        state["data_id"] = None if data is None else self._data_id(data)
        return state

    # --------------------------------------------------------------- call
    def call(self, method: str, params: dict) -> tuple[dict, bytes | None]:
        """Answer one call.

        Parameters
        ----------
        method : str
            ``"open"``, ``"state"``, ``"intent"``, ``"wait"``, ``"data"`` or
            ``"component"``.
        params : dict
            Its parameters.

        Returns
        -------
        answer : dict
            JSON-able.
        payload : bytes | None
            The time course (``"component"``).

        Raises
        ------
        ApiError
            A refused call (unknown method or session, wrong parameter, a
            decision that needs the reviewer: unsaved or changed on disk).
        """
        if not isinstance(params, dict):
            raise ApiError(400, "The parameters must be a JSON object.")
        if method == "open":
            return self._open(), None
        if method == "component":
            return self._component(params)
        session = self._session(params)
        if method == "data":
            data = session.data()  # may wait for the pool
            if data is None:
                raise ApiError(409, "No recording is shown yet.", "loading")
            return plot_payload(data, self._data_id(data)), None
        if method == "wait":
            if session.kind == "dataset":
                session.wait()
            else:
                session.data_future.exception()  # waits; the state says if it failed
            with session.lock:
                return dict(state=self._state(session)), None
        if method == "intent" and params.get("name") == "label_automatically":
            return self._label_automatically(session, params), None
        with session.lock:
            if method == "state":
                session.poll()
                return dict(state=self._state(session)), None
            if method == "intent":
                self._intent(session, params)
                return dict(state=self._state(session)), None
        raise ApiError(404, f"Unknown call {method!r}.")

    def _label_automatically(self, session, params: dict) -> dict:
        """Run the network(s) outside the tab's lock: its page stays usable.

        The review model's task runs here; its result is applied to the
        recording it was started on, if that one is still shown.
        """
        if params.get("args", {}) != {}:
            raise ApiError(400, "Wrong parameters for 'label_automatically'.")
        with session.lock:
            state = session.state
            if state is None:
                raise ApiError(409, "No recording is shown yet.", "loading")
            try:
                task = state.labelling_task()
            except RuntimeError as error:  # read-only
                raise ApiError(409, str(error), "refused") from None
        try:
            result = task.run()
        except RuntimeError as error:
            raise ApiError(409, str(error), "refused") from None
        except (ValueError, TypeError, OSError) as error:
            logger.info(f"Refused label_automatically: {error}")
            raise ApiError(400, str(error)) from None
        with session.lock:
            if session.state is not state:
                raise ApiError(
                    409,
                    "Another recording is shown: the automatic labels were dropped.",
                    "refused",
                )
            try:
                messages = state.apply_labels(task, result)
            except RuntimeError as error:  # read-only since it started
                logger.info(str(error))
                raise ApiError(409, str(error), "refused") from None
            session.message = "; ".join(messages)
            return dict(state=self._state(session))

    def _open(self) -> dict:
        target = self.target
        if target.kind == "recording":
            session = target
        else:
            session = target.new_session()
        sid = secrets.token_hex(12)
        with self._lock:
            self._sessions[sid] = session
            self._drop_sessions(keep=sid)
        with session.lock:
            return dict(session=sid, state=self._state(session))

    def _drop_sessions(self, keep: str) -> None:
        """Drop the least recently used sessions beyond the limit (lock held).

        A session with unsaved decisions stays: its tab would lose them.
        """
        excess = len(self._sessions) - _MAX_SESSIONS
        if excess <= 0:
            return
        unmodified = [
            sid
            for sid, session in self._sessions.items()
            if sid != keep
            and not (session.state is not None and session.state.modified)
        ]
        for sid in unmodified[:excess]:
            del self._sessions[sid]

    def _component(self, params: dict) -> tuple[dict, bytes]:
        data_id = _param(params, "data_id", str, "'component'")
        k = _param(params, "component", int, "'component'")
        with self._lock:
            data = self._data.get(data_id)
            if data is not None:
                self._data.move_to_end(data_id)
        if data is None:
            raise ApiError(404, "Unknown data: reload the page.", "session")
        n = data.sources.shape[1 if data.kind == "epochs" else 0]
        if not 0 <= k < n:
            raise ApiError(400, f"component must be between 0 and {n - 1}.")
        return {"component": k}, component_bytes(data, k)

    def _intent(self, session, params: dict) -> None:
        name = params.get("name")
        if name not in INTENTS:
            raise ApiError(400, f"Unknown intent {name!r}.")
        args = params.get("args", {})
        if not isinstance(args, dict) or set(args) - set(INTENTS[name]):
            raise ApiError(400, f"Wrong parameters for {name!r}.")
        values = {
            key: _param(args, key, kind, repr(name))
            for key, kind in INTENTS[name].items()
            if key in args or key not in _OPTIONAL
        }
        state = session.state
        try:
            if name in ("show_recording", "step_recording", "save"):
                if session.kind != "dataset" and name != "save":
                    raise ApiError(400, f"{name!r} needs a dataset review.")
                if name == "show_recording":
                    session.show(values["index"], values.get("discard", False))
                elif name == "step_recording":
                    session.step_recording(values["step"], values.get("discard", False))
                else:
                    session.save(force=values.get("force", False))
            elif state is None:
                raise ApiError(409, "No recording is shown yet.", "loading")
            elif "component" in values and not (
                0 <= values["component"] < state.n_components
            ):
                raise ApiError(
                    400,
                    f"component must be between 0 and {state.n_components - 1}, "
                    f"got {values['component']}.",
                )
            elif name == "press":
                action = state.press(values["key"])
                if action == "read-only":
                    raise ApiError(409, f"Not labelled: {state.read_only}", "read_only")
            else:
                keywords = {_KEYWORDS.get((name, k), k): v for k, v in values.items()}
                getattr(state, name)(**keywords)
        except TSVChangedError as error:
            raise ApiError(409, str(error), "changed") from None
        except UnsavedDecisionsError as error:  # the page asks Save / Discard
            raise ApiError(409, str(error), "unsaved") from None
        except RuntimeError as error:
            raise ApiError(409, str(error), "refused") from None
        except (ValueError, TypeError, OSError) as error:
            logger.info(f"Refused {name}: {error}")
            raise ApiError(400, str(error)) from None
