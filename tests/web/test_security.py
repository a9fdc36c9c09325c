"""The review server refuses what Jupyter's refuses, and writes nothing then.

Raw HTTP requests (http.client sends paths as written) against a real
``mne-icalabel review ROOT --browser`` process on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.client
import json

import pytest

pytest.importorskip("mne_bids")


def _digest(root) -> dict[str, str]:
    """SHA-256 of every file of the dataset (the derivatives included)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _request(served, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _call(served, method, params, **headers):
    head = {"Content-Type": "application/json", "Host": f"127.0.0.1:{served.port}"}
    head.update(headers)
    return _request(served, "POST", f"/api/{method}", json.dumps(params), head)


def _session(served) -> tuple[str, str]:
    """Open a session with the token: (cookie header, session id)."""
    status, headers, _ = _request(served, "GET", f"/?token={served.token}")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";")[0]
    assert (
        "HttpOnly" in headers["Set-Cookie"]
        and "SameSite=Strict" in headers["Set-Cookie"]
    )
    status, _, body = _call(served, "open", {}, Cookie=cookie)
    assert status == 200, body
    session = json.loads(body)["session"]
    status, _, body = _call(served, "wait", {"session": session}, Cookie=cookie)
    assert status == 200, body
    return cookie, session


def test_refusals_change_no_file(dataset_server):
    served = dataset_server
    before = _digest(served.root)
    cookie, session = _session(served)
    save = {"session": session, "name": "save", "args": {"force": True}}
    label = {"session": session, "name": "press", "args": {"key": "2"}}

    # no token, a wrong token: the page, the files, the calls
    for path in ("/", "/static/review.js", "/api/state"):
        for token in ("", "?token=wrong", f"?token={served.token[:-1]}"):
            method = "POST" if path.startswith("/api") else "GET"
            status, headers, body = _request(served, method, path + token)
            assert status == 403, (path, token, body)
            assert "Set-Cookie" not in headers
    for headers in (
        {},
        {"Cookie": cookie.replace("=", "=x")},
        {"Authorization": "token wrong"},
    ):
        assert _call(served, "intent", label, **headers)[0] == 403
        assert _call(served, "intent", save, **headers)[0] == 403
    # another Origin, with the right cookie or header
    for origin in (
        "http://evil.example",
        "null",
        f"http://127.0.0.1:{served.port + 1}",
    ):
        status, _, body = _call(served, "intent", label, Cookie=cookie, Origin=origin)
        assert status == 403 and b"origin" in body
        assert _call(served, "intent", save, Cookie=cookie, Origin=origin)[0] == 403
        status, _, _ = _call(
            served, "open", {}, Authorization=f"token {served.token}", Origin=origin
        )
        assert status == 403
    status, _, _ = _call(
        served, "intent", save, Cookie=cookie, **{"Sec-Fetch-Site": "cross-site"}
    )
    assert status == 403
    # paths out of the page's folder, and paths where an index is expected
    secret = served.root / "participants.tsv"
    for path in (
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2e%2e/%2e%2e/setup.py",
        "/static/" + str(secret),
        "/static//etc/passwd",
        "//etc/passwd",
        "/../../etc/passwd",
        "/api/../../etc/passwd",
        str(secret),
        "/static/_server.py",
        "/static/index.html/../../_api.py",
    ):
        status, _, body = _request(served, "GET", path, headers={"Cookie": cookie})
        assert status in (400, 403, 404), (path, status)
        assert b"root:" not in body and b"participant_id" not in body
        assert b"import" not in body, path
    for params in (
        {"session": session, "name": "show_recording", "args": {"index": "../x"}},
        {"session": session, "name": "show_recording", "args": {"index": str(secret)}},
        {"session": "../../x", "name": "save", "args": {}},
        {"session": session, "name": "save", "args": {"force": True, "path": "/tmp/x"}},
        {"session": session, "name": "../save", "args": {}},
    ):
        status, _, _ = _call(served, "intent", params, Cookie=cookie)
        assert status in (400, 404), params
    for data_id in ("../../etc/passwd", str(secret)):
        params = {"data_id": data_id, "component": 0}
        assert _call(served, "component", params, Cookie=cookie)[0] == 404
    # nothing was written by any of them
    assert _digest(served.root) == before
    # the same calls with the token and from the page's origin do work
    origin = f"http://127.0.0.1:{served.port}"
    status, _, body = _call(served, "intent", label, Cookie=cookie, Origin=origin)
    assert status == 200, body
    assert _call(served, "intent", save, Cookie=cookie, Origin=origin)[0] == 200
    changed = {k for k in before if _digest(served.root).get(k) != before[k]}
    assert changed and all(k.startswith("derivatives/") for k in changed)


def test_listens_on_loopback_only_and_warns_otherwise(recwarn):
    from mne_icalabel.web._server import ReviewServer, normalize_base_url

    with pytest.warns(RuntimeWarning, match="not only on this machine"):
        ReviewServer(api=None, host="0.0.0.0")
    assert normalize_base_url("review") == "/review/"
    assert normalize_base_url("/user/jane/proxy/8765") == "/user/jane/proxy/8765/"
    for bad in ("/a/../b/", "/a?token=x", "/a b/"):
        with pytest.raises(ValueError, match="base_url"):
            normalize_base_url(bad)


def test_the_title_is_escaped(labelled_bids_template, tmp_path):
    """The page's title names the dataset's folder, which may hold markup."""
    import shutil

    from mne_icalabel.web._launch import serve_dataset

    root = tmp_path / "x<b>&y"
    shutil.copytree(labelled_bids_template, root)
    server = serve_dataset(root, port=0)
    try:
        status, _, body = _request(server, "GET", f"/?token={server.token}")
    finally:
        server.stop()
    assert status == 200
    page = body.decode("utf-8")
    assert "<title>ICA Review - x&lt;b&gt;&amp;y</title>" in page
    assert "<b>" not in page


def test_the_token_stays_out_of_the_log(dataset_server):
    """Refused requests are logged by their path: no token, right or wrong."""
    import time

    served = dataset_server
    wrong = ("A" if served.token[0] != "A" else "B") + served.token[1:]
    assert _request(served, "GET", f"/?token={wrong}")[0] == 403
    # the right token, a file the page does not have
    assert _request(served, "GET", f"/static/nope.js?token={served.token}")[0] == 404
    end = time.monotonic() + 20
    while not any("/static/nope.js" in line for line in served.lines[:]):
        assert time.monotonic() < end, "".join(served.lines)
        time.sleep(0.05)
    lines = served.lines[:]
    refused = [line for line in lines if "403 GET /" in line or "404 GET /" in line]
    assert len(refused) == 2, "".join(lines)
    assert not any(wrong in line for line in lines)
    # the URL printed for the reviewer to open is the only line with the token
    with_token = [line.strip() for line in lines if served.token in line]
    assert with_token == [served.url], "".join(lines)


def test_an_uncaught_error_is_logged_without_the_token(caplog):
    """Tornado's report of an error names the URI; this server's, the path."""
    from mne_icalabel.web._server import ReviewServer

    class Failing:
        def call(self, method, params):
            raise KeyError("a bug")

    server = ReviewServer(Failing()).start()
    try:
        with caplog.at_level("INFO", logger="tornado"):
            status, _, _ = _request(
                server,
                "POST",
                f"/api/state?token={server.token}",
                body="{}",
                headers={"Content-Type": "application/json"},
            )
    finally:
        server.stop()
    assert status == 500
    errors = [r for r in caplog.records if r.name == "tornado.application"]
    assert len(errors) == 1 and "POST /api/state" in errors[0].getMessage()
    assert errors[0].exc_info[0] is KeyError
    for record in caplog.records:
        assert server.token not in record.getMessage()


def test_a_port_in_use_names_the_option_and_the_parameter():
    import socket

    from mne_icalabel.web._server import ReviewServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ReviewServer(api=None, port=port, strict_port=True)
        with pytest.raises(OSError, match=f"port {port}") as info:
            server.start()
    message = str(info.value)
    assert "--port on the command line" in message
    assert "port= in Python (serve_recording, serve_dataset, ReviewServer" in message
    # the socket of the failed bind was closed, not left for the collector
    import gc
    import warnings

    del info
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
