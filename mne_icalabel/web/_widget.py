"""The review as a notebook widget (anywidget: JupyterLab, Notebook 7, VS Code).

The page's module (``static/review.js``) runs in the cell output; its calls
travel as widget messages to the kernel, where :class:`~._api.Api` answers
them in a thread pool (a recording being prepared does not block the
kernel), the time courses as binary buffers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mne.utils import logger

from ..utils._imports import import_optional_dependency
from ._api import Api, ApiError
from ._server import static_text

_GLUE = """
// anywidget entry: the calls are widget messages answered by the kernel
export default {
  render({ model, el }) {
    let next = 0;
    const waiting = new Map();
    const onMessage = (msg, buffers) => {
      const entry = waiting.get(msg.id);
      if (!entry) return;
      waiting.delete(msg.id);
      if (msg.ok) {
        if (entry.binary) {
          const view = buffers[0];
          const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
          entry.resolve(bytes.slice().buffer);
        } else {
          entry.resolve(msg.result);
        }
      } else {
        const error = new Error(msg.error);
        error.kind = msg.kind;
        entry.reject(error);
      }
    };
    model.on("msg:custom", onMessage);
    const send = (method, params, binary) =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject, binary });
        model.send({ id, method, params });
      });
    const transport = {
      call: (method, params) => send(method, params, false),
      binary: (method, params) => send(method, params, true),
      pollMs: 2000,
    };
    el.classList.add("mne-icalabel-widget");
    const app = mount(el, transport, { page: false });
    el.mneIcalabel = app;
    return () => {
      app.destroy();
      model.off("msg:custom", onMessage);
    };
  },
};
"""


def _widget_class():
    anywidget = import_optional_dependency(
        "anywidget", extra="The review in a notebook needs anywidget."
    )

    class ReviewWidget(anywidget.AnyWidget):
        """The review page in a notebook cell."""

        _esm = static_text("review.js") + _GLUE
        _css = static_text("review.css")

        def __init__(self, api: Api) -> None:
            super().__init__()
            self.api = api
            self._pool = ThreadPoolExecutor(2, thread_name_prefix="mne-icalabel-widget")
            self.on_msg(self._on_message)

        def _on_message(self, _widget, content, _buffers) -> None:
            if not isinstance(content, dict) or "id" not in content:
                return
            self._pool.submit(self._answer, content)

        def _answer(self, content: dict) -> None:
            msg_id = content["id"]
            try:
                answer, payload = self.api.call(
                    content.get("method"), content.get("params") or {}
                )
            except ApiError as error:
                self.send(
                    dict(id=msg_id, ok=False, error=error.message, kind=error.kind)
                )
                return
            except Exception as error:  # shown in the page, logged here
                logger.error(f"The review widget's call failed: {error}")
                self.send(dict(id=msg_id, ok=False, error=str(error), kind="error"))
                return
            if payload is None:
                self.send(dict(id=msg_id, ok=True, result=answer))
            else:
                self.send(dict(id=msg_id, ok=True, result=answer), buffers=[payload])

        def close(self) -> None:
            """Close the widget and stop its threads."""
            self._pool.shutdown(wait=False, cancel_futures=True)
            super().close()

    return ReviewWidget


class NotebookReview:
    """A review shown in a notebook cell.

    Attributes
    ----------
    widget : anywidget.AnyWidget
        The widget (display it again with ``display(review.widget)``).
    target : RecordingSession | WebDataset
        What it reviews.
    """

    def __init__(self, target) -> None:
        self.target = target
        self.widget = _widget_class()(Api(target))
        self._shown_in = None

    def show(self) -> NotebookReview:
        """Display the widget in the current cell's output."""
        from IPython import get_ipython
        from IPython.display import display

        display(self.widget)
        shell = get_ipython()
        self._shown_in = None if shell is None else shell.execution_count
        return self

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if shell is not None and shell.execution_count == self._shown_in:
            return  # shown already by the call that made it, in this cell
        display(self.widget)

    @property
    def labels(self) -> dict[int, str]:
        """The class name of each labelled component of the recording shown."""
        state = getattr(self.target, "state", None)
        if state is None:  # a dataset: no recording shared by all tabs
            raise AttributeError("A dataset review has one recording per view.")
        return dict(state.labels)

    def __repr__(self) -> str:
        return f"<NotebookReview of a {self.target.kind}>"


def prepare_executor() -> ThreadPoolExecutor:
    """Return the threads that prepare recordings and their plots."""
    from ._launch import _executor

    return _executor()
