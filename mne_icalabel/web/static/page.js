// The review page served by `mne-icalabel review --browser`: the calls go to
// the server that served this page, at URLs relative to it (a path prefix or
// an SSH tunnel change nothing). The token is in an HTTP-only cookie.
import { mount } from "./review.js";

async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch (_) {
    body = { error: response.statusText };
  }
  const error = new Error(body.error || `HTTP ${response.status}`);
  error.status = response.status;
  error.kind = body.kind || "error";
  return error;
}

const transport = {
  async call(method, params) {
    const response = await fetch(`api/${method}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(params || {}),
      credentials: "same-origin",
    });
    if (!response.ok) throw await failure(response);
    return response.json();
  },
  async binary(method, params) {
    const response = await fetch(`api/${method}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(params || {}),
      credentials: "same-origin",
    });
    if (!response.ok) throw await failure(response);
    return response.arrayBuffer();
  },
  pollMs: 1000,
};

// the token has done its work (the cookie holds it): keep it out of the history
if (window.location.search.includes("token=")) {
  window.history.replaceState(null, "", window.location.pathname);
}
const root = document.getElementById("mne-icalabel-app");
window.mneIcalabel = mount(root, transport, { page: true });
