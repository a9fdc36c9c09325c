"""The adapter, the API and the payloads, without a browser (fast)."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mne_icalabel.review import ComponentsReview
from mne_icalabel.web._api import Api, ApiError
from mne_icalabel.web._payload import component_bytes, plot_payload, quantize_rows
from mne_icalabel.web._session import PageState, RecordingSession
from tests.gui.conftest import (  # noqa: F401
    eeg_epochs,
    eeg_ica,
    eeg_ica_fitted,
    eeg_raw,
)


def test_keys_write_ica_labels(eeg_raw, eeg_ica):  # noqa: F811
    state = PageState(ComponentsReview(eeg_raw, eeg_ica, kept=("brain", "other")))
    events = []
    state.subscribe(lambda event: events.append(event.kind))
    k = state.current
    assert state.press("3") == "label"  # the third class: Eye
    assert eeg_ica.labels_["eog"] == [k] and state.labels[k] == "Eye"
    assert k in state.excluded  # eog is not kept
    assert state.press("b") == "label"  # letters too, either case
    assert eeg_ica.labels_["eog"] == [] and eeg_ica.labels_["brain"] == [k]
    assert k not in state.excluded
    assert state.press("Backspace") == "reset"
    assert k not in state.labels and state.manual_marks() == {k: None}
    # auto-advance after a label; N/P and arrows move in the list order
    assert state.press("A") == "auto_advance" and state.auto_advance
    state.press("M")
    assert state.current == state.order[1] and state.labels[k] == "Muscle"
    state.press("p")
    assert state.current == k
    state.press("ArrowLeft")  # clipped at the first
    assert state.current == k
    assert state.press("x") == "" and state.press("9") == ""
    # the keys the page moves with at once, as the model's press does
    moves = {"n": 1, "N": 1, "ArrowRight": 1, "ArrowDown": 1}
    moves.update({"p": -1, "P": -1, "ArrowLeft": -1, "ArrowUp": -1})
    assert state.to_dict()["step_keys"] == moves
    assert events.count("label") == 4 and state.modified
    # read-only: a label key does nothing, set_label raises
    state.set_read_only("being rewritten")
    before = {key: list(v) for key, v in eeg_ica.labels_.items()}
    assert state.press("1") == "read-only"
    with pytest.raises(RuntimeError, match="being rewritten"):
        state.set_label(k, "Brain")
    assert eeg_ica.labels_ == before
    with pytest.raises(ValueError, match="label must be one of"):
        PageState(ComponentsReview(eeg_raw, eeg_ica)).set_label(0, "Blink")


@pytest.mark.parametrize("kind", ["raw", "epochs"])
def test_payload_round_trip(kind, eeg_raw, eeg_epochs, eeg_ica):  # noqa: F811
    from mne_icalabel.review._plot_data import compute_plot_data

    data = compute_plot_data(eeg_raw if kind == "raw" else eeg_epochs, eeg_ica)
    payload = plot_payload(data, "id")
    assert payload["kind"] == kind
    n_comp = payload["n_components"]
    assert n_comp == eeg_ica.n_components_ and len(payload["source_scale"]) == n_comp
    # int16 per row: at most half a step (scale) off, plus float32 rounding
    topo = data.topomaps[0].images
    quantized, scale = quantize_rows(topo)
    back = quantized.astype(float) * scale[:, None, None]
    finite = np.isfinite(topo)
    assert np.array_equal(quantized == -32768, ~finite)
    bound = scale[:, None, None] * (0.5 + 1e-3)
    assert np.all(
        np.abs(back - np.nan_to_num(topo))[finite]
        <= np.broadcast_to(bound, topo.shape)[finite]
    )
    for k in (0, n_comp - 1):
        ints = np.frombuffer(component_bytes(data, k), "<i2")
        source = ints * payload["source_scale"][k]
        # the time course (Raw), the epochs one after the other (Epochs)
        exact = data.sources[k] if kind == "raw" else data.sources[:, k].ravel()
        peak = np.abs(exact).max()
        assert np.max(np.abs(source - exact)) <= peak / 32767 * 0.5001
    psd = np.frombuffer(base64.b64decode(payload["psd_db"]["data"]), "<f4")
    assert np.array_equal(
        psd.reshape(payload["psd_db"]["shape"]), data.psd_db.astype(np.float32)
    )


def test_api_refuses_bad_calls(eeg_raw, eeg_ica):  # noqa: F811
    with ThreadPoolExecutor(1) as pool:
        api = Api(RecordingSession(eeg_raw, eeg_ica, executor=pool))
        session = api.call("open", {})[0]["session"]
        api.call("wait", {"session": session})

        def refused(method, params, status):
            with pytest.raises(ApiError) as info:
                api.call(method, params)
            assert info.value.status == status, info.value.message

        intent = {"session": session}
        refused("nope", intent, 404)
        refused("state", {"session": "x"}, 404)
        refused("intent", {**intent, "name": "exec", "args": {}}, 400)
        refused(
            "intent", {**intent, "name": "select", "args": {"component": True}}, 400
        )
        refused("intent", {**intent, "name": "select", "args": {"component": "1"}}, 400)
        refused("intent", {**intent, "name": "select", "args": {"component": 99}}, 400)
        refused("intent", {**intent, "name": "select", "args": {"x": 1}}, 400)
        refused(
            "intent", {**intent, "name": "show_recording", "args": {"index": 0}}, 400
        )
        refused("intent", {**intent, "name": "save", "args": {}}, 409)  # no file
        state = api.call("state", intent)[0]["state"]
        refused("component", {"data_id": state["data_id"], "component": -1}, 400)
        answer = api.call("intent", {**intent, "name": "press", "args": {"key": "7"}})
        assert answer[0]["state"]["labels"][state["current"]] == "Other"
        assert eeg_ica.labels_["other"] == [state["current"]]


def test_frontend_choice(eeg_raw, eeg_ica):  # noqa: F811
    from mne_icalabel.gui import _frontend, label_ica_components

    assert _frontend(None) == "qt"  # no Jupyter kernel here
    with pytest.raises(ValueError, match="frontend"):
        label_ica_components(eeg_raw, eeg_ica, frontend="tk")
    server = label_ica_components(eeg_raw, eeg_ica, show=False, frontend="browser")
    try:
        assert server.url.startswith("http://127.0.0.1:") and "token=" in server.url
    finally:
        server.stop()


def test_the_url_is_printed_with_its_token_and_logged_without(
    eeg_raw,  # noqa: F811
    eeg_ica,  # noqa: F811
    capsys,
    monkeypatch,
):
    """``block=True`` prints the URL to open; the log leaves the token out."""
    import logging
    import time

    from mne.utils import logger, use_log_level

    from mne_icalabel.gui import label_ica_components

    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())

    def interrupt(_seconds):
        raise KeyboardInterrupt  # Ctrl+C at once: _serve_block stops the server

    monkeypatch.setattr(time, "sleep", interrupt)
    logger.addHandler(handler)
    try:
        with use_log_level("info"):
            server = label_ica_components(
                eeg_raw, eeg_ica, show=False, block=True, frontend="browser"
            )
    finally:
        logger.removeHandler(handler)
    assert server.token in server.url
    assert server.url in capsys.readouterr().out
    base = server.url.split("?")[0]
    assert f"Serving the review at {base}" in records
    assert not any(server.token in message for message in records)


def test_dataset_session_rules(review_root):
    """Leaving unsaved decisions is refused until saved or discarded."""
    from mne_icalabel.web._session import WebDataset

    with ThreadPoolExecutor(2) as pool:
        review = WebDataset(review_root, executor=pool, author="Reviewer One")
        api = Api(review)
        session = api.call("open", {})[0]["session"]
        state = api.call("wait", {"session": session})[0]["state"]
        first = state["recording"]["index"]
        other = next(r["index"] for r in state["recordings"] if r["index"] != first)

        def intent(name, **args):
            return api.call("intent", {"session": session, "name": name, "args": args})[
                0
            ]["state"]

        k = state["current"]
        label = "Muscle" if state["labels"][k] != "Muscle" else "Brain"
        intent("set_label", component=k, label=label)
        with pytest.raises(ApiError) as info:
            intent("show_recording", index=other)
        assert info.value.kind == "unsaved" and "not saved" in info.value.message
        state = intent("step_recording", step=1, discard=True)
        assert state["loading"] == other
        state = api.call("wait", {"session": session})[0]["state"]
        assert state["recording"]["index"] == other and not state["modified"]
        # the discarded decision was never written
        tsv = review.queue.entries[first].recording.tsv
        assert "manual" not in tsv.read_text(encoding="utf-8")
        assert intent("step_recording", step=1)["message"].startswith("This is the")


def test_label_automatically(eeg_raw, eeg_ica):  # noqa: F811
    with ThreadPoolExecutor(1) as pool:
        session = RecordingSession(eeg_raw, eeg_ica, executor=pool)
        state = session.to_dict()
        assert state["can_label_automatically"] and state["scores"] == []
        session.state.set_label(0, "Heart")
        session.state.label_automatically()
        state = session.to_dict()
        assert [s["title"] for s in state["scores"]] == ["ICLabel"]
        assert eeg_ica.labels_scores_.shape == (eeg_ica.n_components_, 7)
        assert state["labels"][0] == "Heart"  # a label set by hand stays
        assert all(label is not None for label in state["labels"])


def test_label_automatically_through_the_api(eeg_raw, eeg_ica):  # noqa: F811
    """The page's button: refused while read-only, else the model's labels."""
    with ThreadPoolExecutor(1) as pool:
        session = RecordingSession(eeg_raw, eeg_ica, executor=pool)
        api = Api(session)
        sid = api.call("open", {})[0]["session"]

        def intent(name, **args):
            params = {"session": sid, "name": name, "args": args}
            return api.call("intent", params)[0]["state"]

        intent("set_label", component=1, label="Muscle")
        session.state.set_read_only("busy elsewhere")
        with pytest.raises(ApiError) as info:
            intent("label_automatically")
        assert info.value.status == 409 and "busy elsewhere" in info.value.message
        assert getattr(eeg_ica, "labels_scores_", None) is None
        session.state.set_read_only(None)
        with pytest.raises(ApiError) as info:
            intent("label_automatically", method="megnet")
        assert info.value.status == 400
        state = intent("label_automatically")
        assert [s["title"] for s in state["scores"]] == ["ICLabel"]
        assert state["labels"][1] == "Muscle" and state["modified"]
        assert all(label is not None for label in state["labels"])


def _blocked_pool():
    """A pool of one thread, busy until the event returned is set."""
    pool = ThreadPoolExecutor(1)
    release = threading.Event()
    pool.submit(release.wait, 60)
    return pool, release


def test_a_shared_recording_is_dropped_not_cancelled(review_root, monkeypatch):
    """Evicting or forgetting a job leaves it to the tab that waits for it."""
    from mne_icalabel.web import _session
    from mne_icalabel.web._session import WebDataset

    pool, release = _blocked_pool()
    try:
        dataset = WebDataset(review_root, executor=pool)
        first, second = dataset.recording_rows[:2]
        job = dataset.prefetch(first)  # queued behind the busy thread
        monkeypatch.setattr(_session, "_CACHE_SIZE", 1)
        dataset.prefetch(second)  # evicts the first
        assert first not in dataset._cache and not job.cancelled()
        other = dataset.prefetch(second)
        dataset.forget(second)
        assert second not in dataset._cache and not other.cancelled()
        release.set()
        assert job.result(60).loaded.index == first
        assert other.result(60).loaded.index == second
    finally:
        release.set()
        pool.shutdown()


def test_a_cancelled_recording_is_asked_for_again(review_root, monkeypatch):
    """A tab waits for a job cancelled meanwhile: it starts another one."""
    from concurrent.futures import Future

    from mne_icalabel.web._session import WebDataset

    with ThreadPoolExecutor(2) as pool:
        dataset = WebDataset(review_root, executor=pool)
        tab = dataset.new_session()
        tab.wait()
        other = dataset.recording_rows[1]
        tab.show(other)
        cancelled = Future()
        cancelled.cancel()  # e.g. the pool was shut down under the tab
        prefetch = dataset.prefetch
        answers = iter([cancelled])
        monkeypatch.setattr(
            dataset, "prefetch", lambda index: next(answers, None) or prefetch(index)
        )
        tab.wait()
        state = tab.to_dict()
        assert state["recording"]["index"] == other, state["message"]
        assert state["loading"] == -1 and state["message"] == ""


def test_unsaved_is_asked_by_type_and_not_for_the_recording_shown(review_root):
    """Only leaving a recording with unsaved decisions asks Save / Discard."""
    from mne_icalabel.review import UnsavedDecisionsError
    from mne_icalabel.web._session import WebDataset

    with ThreadPoolExecutor(2) as pool:
        api = Api(WebDataset(review_root, executor=pool))
        sid = api.call("open", {})[0]["session"]
        state = api.call("wait", {"session": sid})[0]["state"]
        shown = state["recording"]["index"]
        other = next(r["index"] for r in state["recordings"] if r["index"] != shown)

        def intent(name, **args):
            params = {"session": sid, "name": name, "args": args}
            return api.call("intent", params)[0]["state"]

        k = state["current"]
        label = "Muscle" if state["labels"][k] != "Muscle" else "Brain"
        intent("set_label", component=k, label=label)
        # a click on the recording shown: nothing to ask, nothing lost
        state = intent("show_recording", index=shown)
        assert state["recording"]["index"] == shown and state["loading"] == -1
        assert state["modified"] and state["labels"][k] == label
        # another one: asked, by the error's type
        session = api._sessions[sid]
        with pytest.raises(UnsavedDecisionsError):
            session.show(other)
        with pytest.raises(ApiError) as info:
            intent("show_recording", index=other)
        assert info.value.kind == "unsaved"

        # a refusal that only says "not saved" is not that question
        def refuse(*_args, **_kwargs):
            raise RuntimeError("Labels are not saved while a run rewrites it.")

        session.state.review.set_label = refuse
        with pytest.raises(ApiError) as info:
            intent("set_label", component=k, label="Brain")
        assert info.value.kind == "refused" and "not saved" in info.value.message


def test_intent_parameters_are_named(eeg_raw, eeg_ica):  # noqa: F811
    """Parameters go by name; a missing one is named in the refusal."""
    with ThreadPoolExecutor(1) as pool:
        api = Api(RecordingSession(eeg_raw, eeg_ica, executor=pool))
        sid = api.call("open", {})[0]["session"]

        def intent(name, **args):
            params = {"session": sid, "name": name, "args": args}
            return api.call("intent", params)[0]["state"]

        with pytest.raises(ApiError) as info:
            intent("set_label", component=1)
        assert info.value.status == 400
        assert info.value.message == "Parameter 'label' of 'set_label' is missing."
        with pytest.raises(ApiError) as info:
            intent("set_label", label="Brain")
        assert "'component' of 'set_label' is missing" in info.value.message
        with pytest.raises(ApiError) as info:
            intent("set_label", component=1, label=3)
        assert "'label' of 'set_label' has the wrong type" in info.value.message
        assert intent("set_label", component=1, label="Muscle")["labels"][1] == "Muscle"
        assert intent("set_label", component=1, label=None)["labels"][1] is None
        # the page's name of a parameter, the model's name for it ("enabled")
        assert intent("set_auto_advance", value=True)["auto_advance"] is True
        assert intent("set_auto_advance", value=False)["auto_advance"] is False


def test_sessions_are_dropped_least_recently_used_never_unsaved(
    review_root, monkeypatch
):
    """The tabs used lately stay, and a tab with unsaved decisions always."""
    from mne_icalabel.web import _api
    from mne_icalabel.web._session import WebDataset

    monkeypatch.setattr(_api, "_MAX_SESSIONS", 2)
    with ThreadPoolExecutor(2) as pool:
        api = Api(WebDataset(review_root, executor=pool))

        def open_tab():
            sid = api.call("open", {})[0]["session"]
            return sid, api.call("wait", {"session": sid})[0]["state"]

        def alive(sid):
            try:
                api.call("state", {"session": sid})
            except ApiError as error:
                assert error.kind == "session"
                return False
            return True

        first, state = open_tab()
        second, _ = open_tab()
        api.call("state", {"session": first})  # used since the second opened
        third, _ = open_tab()
        assert set(api._sessions) == {first, third}  # the second was dropped
        # unsaved decisions in the oldest tab: another one is dropped instead
        k = state["current"]
        label = "Muscle" if state["labels"][k] != "Muscle" else "Brain"
        args = {"component": k, "label": label}
        api.call("intent", {"session": first, "name": "set_label", "args": args})
        api.call("state", {"session": third})  # the first is the oldest again
        fourth, _ = open_tab()
        assert set(api._sessions) == {first, fourth}
        # only tabs with unsaved decisions left to drop: none is dropped
        api.call("intent", {"session": fourth, "name": "set_label", "args": args})
        fifth, _ = open_tab()
        assert set(api._sessions) == {first, fourth, fifth}
        assert alive(first) and not alive(second)


def test_plot_arrays_are_dropped_least_recently_used(
    eeg_raw,  # noqa: F811
    eeg_ica,  # noqa: F811
    monkeypatch,
):
    from mne_icalabel.web import _api

    monkeypatch.setattr(_api, "_MAX_DATA", 2)
    with ThreadPoolExecutor(1) as pool:
        api = Api(RecordingSession(eeg_raw, eeg_ica, executor=pool))
        sid = api.call("open", {})[0]["session"]
        shown = api.call("wait", {"session": sid})[0]["state"]["data_id"]
        other = api._data_id(object())  # e.g. another recording's arrays
        # the page fetches a time course of its recording: used last
        api.call("component", {"data_id": shown, "component": 0})
        api._data_id(object())
        assert shown in api._data and other not in api._data
        api.call("state", {"session": sid})  # a poll names its arrays
        api._data_id(object())
        api.call("state", {"session": sid})
        api._data_id(object())
        assert shown in api._data


def test_api_drops_labels_when_read_only_meanwhile(
    eeg_raw,  # noqa: F811
    eeg_ica,  # noqa: F811
    monkeypatch,
):
    """The recording became read-only while the networks ran: refused."""
    from mne_icalabel.review import _networks

    with ThreadPoolExecutor(1) as pool:
        session = RecordingSession(eeg_raw, eeg_ica, executor=pool)
        api = Api(session)
        sid = api.call("open", {})[0]["session"]
        real = _networks._compute_labels

        def meanwhile(*args):
            session.state.set_read_only("busy elsewhere")  # while it runs
            return real(*args)

        monkeypatch.setattr(_networks, "_compute_labels", meanwhile)
        params = {"session": sid, "name": "label_automatically", "args": {}}
        with pytest.raises(ApiError) as info:
            api.call("intent", params)
        assert info.value.status == 409 and "busy elsewhere" in info.value.message
        assert info.value.kind == "refused"
        assert getattr(eeg_ica, "labels_scores_", None) is None
        assert not any(eeg_ica.labels_.values()) and not session.state.modified
