"""A local web server for the review page (tornado).

Like Jupyter's: it listens on 127.0.0.1 unless told otherwise, wants a random
token on every request (in the URL it prints, then in an HTTP-only cookie or
an ``Authorization: token ...`` header), refuses requests that come from
another Origin, and serves only the page's own files (a fixed list) and the
calls of :class:`~._api.Api`, which name recordings and components by index:
no request names a file. Every URL the page uses is relative, so the server
works behind a path prefix (``base_url``, e.g. JupyterHub's
``/user/NAME/proxy/PORT/``) and through SSH port forwarding.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import ipaddress
import json
import secrets
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from urllib.parse import urlsplit

from mne.utils import logger, warn

from ._api import Api, ApiError

#: the files of the page, the only ones served
STATIC = {
    "review.js": "text/javascript; charset=utf-8",
    "review.css": "text/css; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
}
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "form-action 'none'"
)


def static_text(name: str) -> str:
    """Return the text of one of the page's files."""
    return files("mne_icalabel.web").joinpath("static", name).read_text("utf-8")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only."""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str) -> str:
    """``"/"``, or ``"/prefix/"`` with one slash at each end."""
    if not isinstance(base_url, str) or any(c in base_url for c in "?#\\ "):
        raise ValueError(
            f"base_url must be a URL path such as '/review/', got {base_url!r}."
        )
    parts = [p for p in base_url.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise ValueError(f"base_url must not hold '.' or '..', got {base_url!r}.")
    return "/" + "".join(f"{p}/" for p in parts)


def _log_request(handler) -> None:
    """Write tornado's access log line with the path only.

    Tornado's own line names ``request.uri``: the ``?token=`` of the URL
    printed (or a wrong one) would be in the log.
    """
    from tornado.log import access_log

    status = handler.get_status()
    if status < 400:
        log = access_log.info
    elif status < 500:
        log = access_log.warning
    else:
        log = access_log.error
    request = handler.request
    log(
        "%d %s %s (%s) %.2fms",
        status,
        request.method,
        request.path,
        request.remote_ip,
        1000.0 * request.request_time(),
    )


def _handlers(api: Api, token: str, cookie: str, base: str, executor, title: str):
    import tornado.web

    class _Base(tornado.web.RequestHandler):
        def set_default_headers(self) -> None:
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Security-Policy", _CSP)
            self.clear_header("Server")

        def log_exception(self, typ, value, tb) -> None:
            # tornado's names the URI and the request (the token with them)
            from tornado.log import app_log, gen_log

            where = f"{self.request.method} {self.request.path}"
            if isinstance(value, tornado.web.HTTPError):
                gen_log.warning("%d %s: %s", value.status_code, where, value)
            else:
                app_log.error("Uncaught exception %s", where, exc_info=(typ, value, tb))

        def _refuse(self, status: int, reason: str) -> None:
            logger.info(f"Refused {self.request.method} {self.request.path}: {reason}")
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"ok": False, "error": reason, "kind": "refused"}))

        def prepare(self) -> None:
            origin = self.request.headers.get("Origin")
            if origin is not None:
                hosts = {self.request.host}
                forwarded = self.request.headers.get("X-Forwarded-Host")
                if forwarded:
                    hosts.add(forwarded.split(",")[0].strip())
                if origin == "null" or urlsplit(origin).netloc not in hosts:
                    return self._refuse(
                        403, "Requests from another origin are refused."
                    )
            fetch = self.request.headers
            # a link to the page from another site may be followed (its token
            # is in the URL, the same-site cookie is not sent); nothing else
            if fetch.get("Sec-Fetch-Site") == "cross-site" and (
                fetch.get("Sec-Fetch-Mode") != "navigate"
                or self.request.method != "GET"
            ):
                return self._refuse(403, "Requests from another site are refused.")
            given = self.get_query_argument("token", None)
            header = self.request.headers.get("Authorization", "")
            if given is None and header.startswith("token "):
                given = header[6:].strip()
            from_cookie = given is None
            if from_cookie:
                given = self.get_cookie(cookie)
            if not given or not hmac.compare_digest(given.encode(), token.encode()):
                return self._refuse(
                    403, "A valid token is required (see the URL printed)."
                )
            if not from_cookie:
                self.set_cookie(
                    cookie, token, path=base, httponly=True, samesite="Strict"
                )

    class Page(_Base):
        def get(self) -> None:
            if not self.request.path.endswith("/"):
                self.redirect(self.request.path.rsplit("/", 1)[-1] + "/")
                return
            self.set_header("Content-Type", "text/html; charset=utf-8")
            # the title names the dataset's folder: any characters
            text = static_text("index.html").replace("{{title}}", html.escape(title))
            self.finish(text)

    class Static(_Base):
        def get(self, name: str) -> None:
            if name not in STATIC:
                return self._refuse(404, "No such file.")
            self.set_header("Content-Type", STATIC[name])
            self.finish(static_text(name))

    class Call(_Base):
        async def post(self, method: str) -> None:
            if not self.request.headers.get("Content-Type", "").startswith(
                "application/json"
            ):
                return self._refuse(415, "Calls are JSON.")
            try:
                params = json.loads(self.request.body or b"{}")
            except ValueError:
                return self._refuse(400, "The body is not JSON.")
            loop = asyncio.get_running_loop()
            try:
                answer, payload = await loop.run_in_executor(
                    executor, api.call, method, params
                )
            except ApiError as error:
                self.set_status(error.status)
                self.set_header("Content-Type", "application/json")
                self.finish(
                    json.dumps(
                        {"ok": False, "error": error.message, "kind": error.kind}
                    )
                )
                return
            if payload is not None:
                self.set_header("Content-Type", "application/octet-stream")
                self.finish(payload)
            else:
                self.set_header("Content-Type", "application/json")
                self.finish(json.dumps({"ok": True, **answer}, allow_nan=False))

    class Nothing(_Base):
        def get(self, *_) -> None:
            self._refuse(404, "No such page.")

        post = get

    prefix = base.rstrip("/")
    return [
        (f"{prefix}/?", Page),
        (f"{prefix}/static/([A-Za-z0-9_.-]+)", Static),
        (f"{prefix}/api/([a-z_]+)", Call),
        (r"/(.*)", Nothing),
    ]


def _listening_socket(host: str, port: int) -> socket.socket:
    """Return a non-blocking socket listening on ``host:port``.

    (tornado's ``bind_sockets`` leaves the socket of a failed bind open, so
    that each port tried while looking for a free one leaked one.)
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    # create_server closes its socket when the bind fails
    sock = socket.create_server((host, port), family=family, backlog=128)
    sock.setblocking(False)
    return sock


class ReviewServer:
    """Serve the review page of an :class:`~._api.Api` in a background thread.

    Parameters
    ----------
    api : Api
        What the page shows.
    host : str
        The address to listen on; anything but a loopback address warns
        (the token is then the only protection, and travels unencrypted).
    port : int
        The port; 0 picks a free one. Taken: the next free one is used unless
        ``strict_port``.
    base_url : str
        Path prefix of every URL (e.g. behind a proxy).
    title : str
        The page's title.
    strict_port : bool
        Fail if ``port`` is taken.
    """

    def __init__(
        self,
        api: Api,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_url: str = "/",
        title: str = "ICA Review",
        strict_port: bool = False,
    ) -> None:
        if not is_loopback(host):
            warn(
                f"The review server listens on {host!r}, not only on this machine: "
                "anyone who can reach it and learns the token can change the labels. "
                "Prefer the default 127.0.0.1 and SSH port forwarding."
            )
        self.api = api
        self.host, self.base_url = host, normalize_base_url(base_url)
        self.token = secrets.token_urlsafe(32)
        self._title = title
        self._port, self._strict = int(port), strict_port
        self._executor = ThreadPoolExecutor(4, thread_name_prefix="mne-icalabel-web")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = -1

    @property
    def url(self) -> str:
        """The URL to open, with the token."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):  # every address: this machine's
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{self.base_url}?token={self.token}"

    def _bind(self):
        port = self._port
        for attempt in range(1 if self._strict or port == 0 else 50):
            try:
                return [_listening_socket(self.host, port + attempt)]
            except OSError as error:
                last = error
        raise OSError(
            f"Could not listen on {self.host} port {port}: {last}. Choose another "
            "port: --port on the command line, port= in Python (serve_recording, "
            "serve_dataset, ReviewServer; 0 picks a free one)."
        )

    def start(self) -> ReviewServer:
        """Listen, in a daemon thread; return once listening."""
        import tornado.httpserver
        import tornado.web

        sockets = self._bind()
        self.port = sockets[0].getsockname()[1]
        cookie = f"mne-icalabel-token-{self.port}"
        app = tornado.web.Application(
            _handlers(
                self.api, self.token, cookie, self.base_url, self._executor, self._title
            ),
            compress_response=True,
            log_function=_log_request,
        )
        started = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            server = tornado.httpserver.HTTPServer(app, xheaders=False)
            server.add_sockets(sockets)
            started.set()
            try:
                loop.run_forever()
            finally:
                server.stop()
                loop.run_until_complete(server.close_all_connections())
                loop.close()

        self._thread = threading.Thread(
            target=run, name="mne-icalabel-web", daemon=True
        )
        self._thread.start()
        started.wait()
        # without the token (logs are kept and shared); the URL to open is
        # ``self.url``, which the command line prints
        logger.info(f"Serving the review at {self.url.split('?', 1)[0]}")
        return self

    def stop(self) -> None:
        """Stop listening and end the thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._thread = self._loop = None
