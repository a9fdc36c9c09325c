// The review front end: draws what the server's review model says and sends
// it the reviewer's intents. No rule lives here: which key labels what, what a
// label excludes, saving, read-only, the guard against files changed on disk
// are all answered by the Python side (mne_icalabel/web/_session.py). Plain
// modern JavaScript, no dependency, the same module in the page and in the
// notebook widget; `transport` carries the calls (HTTP or widget messages).

const TIME_WINDOW = 10; // seconds of the time course shown, as the Qt window
const PREFETCH = 3; // time courses fetched ahead in the list order

// ------------------------------------------------------------------ arrays
function b64Buffer(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

// {dtype, shape, data[, scale]} -> {shape, rows: [Float32Array per row]|flat}
function unpack(packed) {
  const buffer = b64Buffer(packed.data);
  const shape = packed.shape;
  const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
  let flat;
  if (packed.dtype === "f4") {
    flat = new Float32Array(buffer);
  } else {
    const ints = new Int16Array(buffer);
    flat = new Float32Array(ints.length);
    for (let r = 0; r < shape[0]; r++) {
      const s = packed.scale[r];
      for (let i = r * rowSize; i < (r + 1) * rowSize; i++) {
        flat[i] = ints[i] === -32768 ? NaN : ints[i] * s;
      }
    }
  }
  const row = (r) => flat.subarray(r * rowSize, (r + 1) * rowSize);
  return { shape, flat, row };
}

// ---------------------------------------------------------------- drawing
function niceTicks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0) || !isFinite(span)) return [lo];
  const raw = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function tickText(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

class Surface {
  // A canvas sized to its CSS box and the screen's pixel ratio.
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
  }
  begin() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(50, c.clientWidth);
    const h = Math.max(50, c.clientHeight);
    if (c.width !== Math.round(w * ratio) || c.height !== Math.round(h * ratio)) {
      c.width = Math.round(w * ratio);
      c.height = Math.round(h * ratio);
    }
    const ctx = this.ctx;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#000";
    ctx.strokeStyle = "#000";
    this.w = w;
    this.h = h;
    return ctx;
  }
}

// An axes box: data limits to pixels, frame, ticks and labels.
function axes(ctx, box, xlim, ylim, opt = {}) {
  const [x0, y0, w, h] = box;
  const sx = (v) => x0 + ((v - xlim[0]) / (xlim[1] - xlim[0])) * w;
  const sy = (v) => y0 + h - ((v - ylim[0]) / (ylim[1] - ylim[0])) * h;
  ctx.save();
  ctx.lineWidth = 1;
  ctx.strokeStyle = "#000";
  ctx.fillStyle = "#000";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  if (opt.grid) ctx.strokeStyle = "rgba(0,0,0,0.12)";
  const xt = opt.xticks || niceTicks(xlim[0], xlim[1], opt.nx || 5);
  const yt = opt.yticks || niceTicks(ylim[0], ylim[1], opt.ny || 4);
  if (opt.grid) {
    ctx.beginPath();
    for (const v of xt) { ctx.moveTo(sx(v), y0); ctx.lineTo(sx(v), y0 + h); }
    for (const v of yt) { ctx.moveTo(x0, sy(v)); ctx.lineTo(x0 + w, sy(v)); }
    ctx.stroke();
  }
  ctx.strokeStyle = "#000";
  ctx.strokeRect(x0, y0, w, h);
  ctx.beginPath();
  if (opt.xlabels !== false) {
    for (const v of xt) {
      const x = sx(v);
      ctx.moveTo(x, y0 + h); ctx.lineTo(x, y0 + h + 3);
      ctx.fillText(tickText(v), x, y0 + h + 4);
    }
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of yt) {
    const y = sy(v);
    ctx.moveTo(x0 - 3, y); ctx.lineTo(x0, y);
    ctx.fillText(tickText(v), x0 - 5, y);
  }
  ctx.stroke();
  if (opt.xlabel) {
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    ctx.fillText(opt.xlabel, x0 + w / 2, y0 + h + 17);
  }
  if (opt.ylabel) {
    ctx.translate(10, y0 + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(opt.ylabel, 0, 0);
  }
  ctx.restore();
  if (opt.title) {
    ctx.save();
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.fillText(opt.title, x0 + w / 2, y0 - 4);
    ctx.restore();
  }
  return { sx, sy };
}

// A line of y over evenly spaced x, at most two points per pixel column.
function polyline(ctx, t, y, start, stop, tx, box) {
  const n = stop - start;
  const cols = Math.max(1, Math.floor(box[2] * 2));
  ctx.beginPath();
  if (n <= cols * 2) {
    for (let i = start; i < stop; i++) {
      const X = tx(t(i)), Y = ty(y[i]);
      i === start ? ctx.moveTo(X, Y) : ctx.lineTo(X, Y);
    }
  } else {
    const per = n / cols;
    for (let c = 0; c < cols; c++) {
      const a = start + Math.floor(c * per), b = start + Math.floor((c + 1) * per);
      let lo = Infinity, hi = -Infinity;
      for (let i = a; i < b; i++) { const v = y[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
      const X = tx(t(a));
      c === 0 ? ctx.moveTo(X, box.ty(lo)) : ctx.lineTo(X, box.ty(lo));
      ctx.lineTo(X, box.ty(hi));
    }
  }
  ctx.stroke();
  function ty(v) { return box.ty(v); }
}

function symmetric(values, start = 0, stop = values.length) {
  let m = 0;
  for (let i = start; i < stop; i++) { const a = Math.abs(values[i]); if (a > m) m = a; }
  m = m > 0 ? m : 1;
  return [-1.1 * m, 1.1 * m];
}

function rgbaImage(width, height, lut, value) {
  // value(row, col) -> palette index 0..255 or -1 (transparent); row 0 at top
  const image = new ImageData(width, height);
  const px = image.data;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const idx = value(r, c);
      const o = (r * width + c) * 4;
      if (idx < 0) { px[o + 3] = 0; continue; }
      px[o] = lut[idx * 3]; px[o + 1] = lut[idx * 3 + 1]; px[o + 2] = lut[idx * 3 + 2];
      px[o + 3] = 255;
    }
  }
  return image;
}

function paletteIndex(v, lim) {
  if (Number.isNaN(v)) return -1;
  const i = Math.round(((v / lim + 1) / 2) * 255);
  return i < 0 ? 0 : i > 255 ? 255 : i;
}

// -------------------------------------------------------------------- DOM
function el(tag, cls, parent, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

const pad = (s, n) => (s + " ".repeat(n)).slice(0, Math.max(n, s.length));
const ica = (k) => `ICA${String(k).padStart(3, "0")}`;

class ReviewApp {
  constructor(root, transport, options) {
    this.root = root;
    this.transport = transport;
    this.options = options || {};
    this.state = null;
    this.data = null;
    this.sources = new Map(); // component -> Promise<Float32Array>
    this.scroll = 0;
    this.pendingSelects = 0;
    this.chain = Promise.resolve();
    // the last switches' timings, from the key press or click to every panel
    // drawn and painted (read by benchmarks/bench_web_switch.py and the tests):
    // `perfCount` of them so far, the last `perfKept` in `perf`
    this.perf = [];
    this.perfCount = 0;
    this.perfKept = 100;
    this.closed = false;
    root.classList.add("mir-root");
    root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab
    if (!root.hasAttribute("tabindex")) root.tabIndex = 0;
    this.build();
    this.onKey = (event) => this.keydown(event);
    root.addEventListener("keydown", this.onKey);
    // leaving the page (reload, close, another URL) with unsaved decisions:
    // the browser asks first (its own words; the text is ignored)
    this.onLeave = (event) => {
      if (this.state && this.state.modified) {
        event.preventDefault();
        event.returnValue = "";
      }
    };
    if (this.options.page) window.addEventListener("beforeunload", this.onLeave);
  }

  // ------------------------------------------------------------ layout
  build() {
    const root = this.root;
    root.textContent = "";
    const layout = (this.layout = el("div", "mir-layout", root));
    const recs = (this.recColumn = el("div", "mir-column mir-recordings", layout));
    this.recTitle = el("div", "mir-title", recs, "Recordings");
    this.recList = el("div", "mir-list", recs);
    const comps = el("div", "mir-column", layout);
    el("div", "mir-title", comps, "Components");
    this.list = el("div", "mir-list mir-components", comps);
    this.list.setAttribute("role", "listbox");
    const main = el("div", "mir-column", layout);
    this.recHeader = el("div", "mir-recording-header", main);
    this.header = el("div", "mir-header", main);
    const panels = (this.panels = el("div", "mir-panels", main));
    this.canvas = {};
    for (const name of ["topomap", "spectrum", "time", "variance", "segments"]) {
      const c = el("canvas", `mir-${name}`, panels);
      c.dataset.panel = name;
      this.canvas[name] = new Surface(c);
      if (name === "time") {
        const scroll = (this.scrollBar = el("input", "mir-scroll", panels));
        scroll.type = "range";
        scroll.min = 0;
        scroll.tabIndex = -1;
        scroll.addEventListener("input", () => {
          this.scroll = Number(scroll.value);
          this.drawTime(this.state.current);
        });
        scroll.addEventListener("change", () => this.root.focus());
      }
    }
    const side = el("div", "mir-column", layout);
    this.classes = el("div", "mir-classes", side);
    const buttons = el("div", "mir-buttons", side);
    this.resetButton = el("button", "mir-reset", buttons, "Reset (0)");
    this.resetButton.addEventListener("click", () => this.press("0"));
    this.autoBox = el("label", "", buttons);
    this.autoCheck = el("input", "mir-auto", this.autoBox);
    this.autoCheck.type = "checkbox";
    this.autoCheck.tabIndex = -1;
    this.autoBox.append(" Next after labelling (A)");
    this.autoCheck.addEventListener("change", () =>
      this.intent("set_auto_advance", { value: this.autoCheck.checked }));
    this.prevButton = el("button", "mir-prev", buttons, "< Previous");
    this.nextButton = el("button", "mir-next", buttons, "Next >");
    this.prevButton.addEventListener("click", () => this.step(-1));
    this.nextButton.addEventListener("click", () => this.step(1));
    this.saveButton = el("button", "mir-save", buttons, "Save (Ctrl+S)");
    this.saveButton.addEventListener("click", () => this.save(false));
    this.autoButton = el("button", "mir-label-auto", buttons, "Label automatically");
    this.autoButton.addEventListener("click", () => this.intent("label_automatically", {}));
    for (const b of layout.querySelectorAll("button")) b.tabIndex = -1;
    const bars = el("canvas", "mir-bars", side);
    bars.dataset.panel = "probabilities";
    this.canvas.probabilities = new Surface(bars);
    el("div", "mir-help", side).innerHTML =
      "<b>Keys</b><br>digit / letter: label<br>0, Backspace: reset<br>" +
      "N, &rarr;: next &nbsp; P, &larr;: previous<br>Shift+&larr;/&rarr;: scroll time<br>" +
      "A: auto-advance &nbsp; Ctrl+S: save<br>" +
      "<span class='mir-dataset-help'>PgDn / PgUp: next / previous recording<br></span>" +
      "<span class='mir-excluded-text'>x</span>: excluded by the policy";
    this.status = el("div", "mir-status", layout);
    this.resize = new ResizeObserver(() => this.state && this.data && this.drawAll(this.state.current));
    this.resize.observe(panels);
    this.root.addEventListener("mousedown", (e) => {
      if (e.target.tagName !== "INPUT") setTimeout(() => this.root.focus({ preventScroll: true }), 0);
    });
  }

  // ------------------------------------------------------------- calls
  async call(method, params = {}) {
    return this.transport.call(method, { session: this.session, ...params });
  }

  // intents are applied in the order they were made
  intent(name, args) {
    const run = () => this.send(name, args);
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  // one intent now (inside the chain: a question's answer sends the next)
  async send(name, args) {
    try {
      const answer = await this.call("intent", { name, args });
      this.apply(answer.state);
      return answer.state;
    } catch (error) {
      return this.refused(name, args, error);
    }
  }

  async refused(name, args, error) {
    if (error.kind === "changed" && name === "save") {
      const ok = await this.ask(`${error.message}\n\nSave anyway? Only the components you labelled are written; the other rows stay as they are now on disk.`, ["Save", "Cancel"]);
      if (ok === "Save") return this.send("save", { force: true });
      this.say("Not saved.");
    } else if (error.kind === "unsaved") {
      const answer = await this.ask(error.message, ["Save", "Discard", "Cancel"]);
      if (answer === "Save") {
        const state = await this.send("save", {});
        if (state && !state.modified) return this.send(name, args);
      } else if (answer === "Discard") {
        return this.send(name, { ...args, discard: true });
      }
    } else if (error.kind === "session") {
      this.say(`${error.message}`);
    } else {
      this.say(error.message);
    }
    return null;
  }

  ask(text, choices) {
    return new Promise((resolve) => {
      const back = el("div", "mir-dialog-back", this.root);
      const box = el("div", "mir-dialog", back);
      box.setAttribute("role", "dialog");
      el("p", "mir-dialog-text", box, text).style.whiteSpace = "pre-wrap";
      const row = el("div", "mir-buttons", box);
      for (const choice of choices) {
        const b = el("button", `mir-choice-${choice.toLowerCase()}`, row, choice);
        b.addEventListener("click", () => {
          back.remove();
          this.root.focus();
          resolve(choice);
        });
      }
      this.dialog = back;
    });
  }

  say(text) {
    this.message = text || "";
    this.renderStatus();
  }

  // ------------------------------------------------------------- start
  async start() {
    this.say("Opening...");
    const opened = await this.transport.call("open", {});
    this.session = opened.session;
    this.apply(opened.state);
    if (opened.state.loading >= 0 || !opened.state.data_id) await this.waitLoaded();
    if (this.options.page) this.root.focus();
    this.timer = setInterval(() => this.poll(), this.transport.pollMs || 1000);
  }

  async waitLoaded() {
    this.say("Loading...");
    const answer = await this.call("wait");
    this.apply(answer.state);
  }

  async poll() {
    if (this.closed || this.polling) return;
    this.polling = true;
    try {
      const answer = await this.call("state");
      if (answer.state.version !== this.state.version || answer.state.data_id !== this.state.data_id ||
          JSON.stringify(answer.state.recordings) !== JSON.stringify(this.state.recordings)) {
        this.apply(answer.state);
      }
    } catch (error) {
      this.say(error.message);
    } finally {
      this.polling = false;
    }
  }

  destroy() {
    this.closed = true;
    clearInterval(this.timer);
    this.resize.disconnect();
    this.root.removeEventListener("keydown", this.onKey);
    window.removeEventListener("beforeunload", this.onLeave);
  }

  // ------------------------------------------------------------- state
  apply(state) {
    if (!state) return;
    const previous = this.state;
    if (previous && this.pendingSelects > 0 && state.data_id === previous.data_id) {
      state = { ...state, current: previous.current }; // a newer local selection
    }
    this.state = state;
    const single = state.mode !== "dataset";
    this.layout.classList.toggle("mir-single", single);
    this.recColumn.style.display = single ? "none" : "";
    this.root.querySelector(".mir-dataset-help").style.display = single ? "none" : "";
    if (state.message !== undefined && state.message !== (previous && previous.message)) this.message = state.message;
    this.renderRecordings();
    if (!state.order) { this.renderStatus(); return; }
    if (!previous || !previous.classes || JSON.stringify(previous.classes) !== JSON.stringify(state.classes)) {
      this.buildClasses();
    }
    this.renderList();
    this.renderSide();
    this.renderStatus();
    if (state.data_id !== (this.data && this.data.data_id)) {
      this.loadData(state.data_id);
    } else if (this.data && (!previous || previous.current !== state.current)) {
      this.show(state.current, null);
    } else if (this.data) {
      this.renderHeader(state.current);
      this.drawProbabilities(state.current);
    }
    if (state.loading >= 0 && (!previous || previous.loading !== state.loading)) this.waitLoaded();
  }

  async loadData(dataId) {
    if (!dataId) { this.data = null; return; }
    this.loadingData = dataId;
    const p = await this.call("data");
    if (this.loadingData !== dataId || p.data_id !== dataId) return;
    const data = {
      ...p,
      freqs: unpack(p.freqs),
      psd: unpack(p.psd_db),
      segVar: unpack(p.segment_var),
      segMean: unpack(p.segment_mean),
      lut: new Uint8Array(b64Buffer(p.colormap)),
      topomaps: p.topomaps.map((t) => ({
        ...t,
        images: t.images ? unpack(t.images) : null,
        sensors: t.sensors ? unpack(t.sensors) : null,
      })),
    };
    data.nWin = Math.max(2, Math.min(p.n_times, Math.round(TIME_WINDOW * p.sfreq)));
    this.sources = new Map();
    this.data = data;
    this.scroll = 0;
    this.panels.classList.toggle("mir-epochs", p.kind === "epochs");
    this.scrollBar.max = Math.max(0, p.n_times - data.nWin);
    this.scrollBar.step = Math.max(1, Math.floor(data.nWin / 10));
    this.scrollBar.value = 0;
    await this.show(this.state.current, null);
    this.say(this.state.message || "");
  }

  source(k) {
    let job = this.sources.get(k);
    if (!job) {
      const data = this.data;
      job = this.transport.binary("component", { data_id: data.data_id, component: k }).then((buffer) => {
        const ints = new Int16Array(buffer);
        const out = new Float32Array(ints.length);
        const s = data.source_scale[k];
        for (let i = 0; i < ints.length; i++) out[i] = ints[i] * s;
        return out;
      });
      job.catch(() => this.sources.delete(k));
      this.sources.set(k, job);
      if (this.sources.size > 48) this.sources.delete(this.sources.keys().next().value);
    }
    return job;
  }

  prefetch(k) {
    const order = this.state.order;
    const row = order.indexOf(k);
    for (const r of [row + 1, row - 1, row + 2, row + 3].slice(0, PREFETCH + 1)) {
      if (r >= 0 && r < order.length) this.source(order[r]);
    }
  }

  // one component on every panel; `started` is the key press's time stamp
  async show(k, started, key) {
    this.shown = k;
    this.renderSelection(k);
    this.renderHeader(k);
    if (!this.data || k < 0) return;
    const data = this.data;
    this.drawTopomap(k);
    this.drawSpectrum(k);
    this.drawVariance(k);
    this.drawProbabilities(k);
    const source = await this.source(k);
    if (this.data !== data || this.shown !== k) return; // moved on meanwhile
    this.current = source;
    this.drawTime(k);
    this.drawSegments(k);
    this.root.dataset.shown = String(k);
    if (this.firstPaint === undefined) this.firstPaint = performance.now(); // since navigation
    if (started !== null && started !== undefined) {
      const drawn = performance.now();
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          this.perf.push({ key, component: k, drawn: drawn - started, painted: performance.now() - started });
          this.perfCount += 1;
          if (this.perf.length > this.perfKept) this.perf.splice(0, this.perf.length - this.perfKept);
        };
        channel.port2.postMessage(0);
      });
    }
    this.prefetch(k);
  }

  // ------------------------------------------------------------- input
  keydown(event) {
    if (this.dialog && this.dialog.isConnected) return;
    if (!this.state || !this.state.order) return;
    const key = event.key;
    const started = event.timeStamp;
    const dataset = this.state.mode === "dataset";
    let handled = true;
    if ((event.ctrlKey || event.metaKey) && (key === "s" || key === "S")) {
      this.save(false);
    } else if (event.ctrlKey || event.metaKey || event.altKey) {
      handled = false;
    } else if (event.shiftKey && (key === "ArrowRight" || key === "ArrowLeft")) {
      this.scrollPages(key === "ArrowRight" ? 1 : -1);
    } else if (Object.hasOwn(this.state.step_keys, key)) {
      // the review model's keys that move; moved here at once, then told
      this.step(this.state.step_keys[key], started, key);
    } else if (dataset && (key === "PageDown" || key === "PageUp")) {
      this.intent("step_recording", { step: key === "PageDown" ? 1 : -1 });
    } else if (key.length === 1 || key === "Backspace" || key === "Delete") {
      this.press(key);
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }

  press(key) {
    return this.intent("press", { key });
  }

  step(step, started, key) {
    const order = this.state.order;
    const row = Math.min(order.length - 1, Math.max(0, order.indexOf(this.state.current) + step));
    this.select(order[row], started, key);
  }

  select(k, started, key) {
    if (k === this.state.current) return;
    this.state.current = k;
    this.pendingSelects += 1;
    this.show(k, started === undefined ? null : started, key);
    this.intent("select", { component: k }).finally(() => { this.pendingSelects -= 1; });
  }

  scrollPages(direction) {
    if (!this.data || this.data.kind !== "raw") return;
    const max = Number(this.scrollBar.max);
    this.scroll = Math.min(max, Math.max(0, this.scroll + direction * this.data.nWin));
    this.scrollBar.value = this.scroll;
    this.drawTime(this.state.current);
  }

  save(force) {
    return this.intent("save", { force });
  }

  // ------------------------------------------------------------ render
  buildClasses() {
    const box = this.classes;
    box.textContent = "";
    for (const head of ["Class", "Key", "Auto"]) el("div", "mir-head", box, head);
    this.classButtons = [];
    this.probaCells = [];
    this.state.classes.forEach((cls, i) => {
      const b = el("button", "mir-class", box, cls.name);
      b.dataset.label = cls.name;
      b.title = `Label as '${cls.name}' ('${cls.key}')`;
      b.tabIndex = -1;
      b.addEventListener("click", () => this.press(cls.digit));
      el("div", "mir-key", box, `${cls.digit} / ${cls.letter}`);
      this.probaCells.push(el("div", "mir-proba", box, ""));
      this.classButtons.push(b);
    });
  }

  renderRecordings() {
    const s = this.state;
    if (s.mode !== "dataset") return;
    const list = this.recList;
    this.recTitle.textContent = `Recordings (${s.recordings.length})`;
    while (list.children.length > s.recordings.length) list.lastChild.remove();
    s.recordings.forEach((r, i) => {
      let item = list.children[i];
      if (!item) {
        item = el("div", "mir-item", list);
        item.addEventListener("click", () => {
          const index = Number(item.dataset.index);
          this.intent("show_recording", { index });
        });
      }
      item.dataset.index = String(r.index);
      let text = `${r.name}\n  ${r.state} \u00b7 ${r.n_excluded}/${r.n_components} excluded \u00b7 ${r.n_manual} manual`;
      if (r.rewriting) text += "\n  being rewritten: read-only";
      item.textContent = text;
      item.title = r.key;
      item.className = "mir-item";
      if (r.state !== "not reviewed") item.classList.add(`mir-${r.state}`);
      if (r.rewriting) item.classList.add("mir-rewriting");
      if (s.recording && r.index === s.recording.index) item.classList.add("mir-current");
      if (r.index === s.loading) item.classList.add("mir-loading");
    });
    const rec = s.recording;
    const head = this.recHeader;
    head.textContent = "";
    if (rec) {
      el("b", "", head, rec.key);
      head.append(` \u00a0 ${rec.reviewed} \u00a0 ${rec.n_doubtful} doubtful component${rec.n_doubtful === 1 ? "" : "s"} (listed first)`);
      el("br", "", head);
      el("small", "", head, `policy: ${rec.policy}${rec.policy_recorded ? "" : " (not recorded: the default)"}`);
    }
    if (s.read_only) {
      el("br", "", head);
      el("span", "mir-readonly", head, s.read_only);
    }
  }

  primary() {
    const sets = this.state.scores || [];
    return sets.length ? sets[0] : null;
  }

  renderList() {
    const s = this.state;
    const list = this.list;
    const primary = this.primary();
    while (list.children.length > s.order.length) list.lastChild.remove();
    s.order.forEach((k, row) => {
      let item = list.children[row];
      if (!item) {
        item = el("div", "mir-item", list);
        item.setAttribute("role", "option");
        item.addEventListener("click", (event) =>
          this.select(Number(item.dataset.component), event.timeStamp, "click"));
      }
      item.dataset.component = String(k);
      const label = s.labels[k];
      let text = `${ica(k)}${s.excluded[k] ? "x" : " "} ${pad(label || "\u00b7", 13)}`;
      if (primary) {
        const p = primary.proba[k];
        const best = p.indexOf(Math.max(...p));
        text += ` ${pad(primary.classes[best], 13)} ${p[best].toFixed(2)}`;
      }
      item.textContent = text;
      item.dataset.label = label || "";
      item.classList.toggle("mir-labelled", Boolean(label));
      item.classList.toggle("mir-excluded", Boolean(s.excluded[k]));
      item.title = s.excluded[k] ? "Excluded by the policy" : "";
    });
    this.renderSelection(s.current);
  }

  renderSelection(k) {
    for (const item of this.list.children) {
      const on = Number(item.dataset.component) === k;
      if (on !== item.classList.contains("mir-selected")) {
        item.classList.toggle("mir-selected", on);
        item.setAttribute("aria-selected", String(on));
        if (on) item.scrollIntoView({ block: "nearest" });
      }
    }
    if (this.classButtons) {
      const label = this.state.labels[k];
      this.classButtons.forEach((b) => b.classList.toggle("mir-checked", b.dataset.label === label));
      const primary = this.primary();
      this.probaCells.forEach((cell, i) => {
        cell.textContent = primary && i < primary.proba[k].length ? primary.proba[k][i].toFixed(2) : "";
      });
    }
  }

  renderSide() {
    const s = this.state;
    const ro = Boolean(s.read_only);
    for (const b of this.classButtons || []) b.disabled = ro;
    this.resetButton.disabled = ro;
    this.saveButton.disabled = ro || !s.can_save;
    this.autoCheck.checked = Boolean(s.auto_advance);
    this.autoButton.style.display = s.can_label_automatically ? "" : "none";
    this.autoButton.disabled = ro;
    this.root.classList.toggle("mir-read-only", ro);
  }

  renderStatus() {
    const s = this.state;
    let text = this.message || "";
    if (s && s.modified) text = `${text}${text ? " \u00b7 " : ""}unsaved decisions`;
    if (s && s.mode === "dataset") {
      text += `${text ? " \u00b7 " : ""}${s.remaining} doubtful component${s.remaining === 1 ? "" : "s"} remaining`;
    }
    this.status.textContent = text;
    if (s && s.title && this.options.page) document.title = `${s.title}${s.modified ? " *" : ""}`;
  }

  renderHeader(k) {
    const s = this.state;
    const head = this.header;
    head.textContent = "";
    if (k < 0) return;
    el("b", "", head, ica(k));
    head.dataset.component = String(k);
    if (this.data) {
      const parts = Object.entries(this.data.var_ratio).map(([t, r]) => `${(100 * r[k]).toFixed(1)} % (${t})`);
      head.append(` \u00a0 variance explained: ${parts.join(", ")}`);
    }
    const primary = this.primary();
    if (primary) {
      const p = primary.proba[k];
      const best = p.indexOf(Math.max(...p));
      head.append(` \u00a0 automatic: ${primary.classes[best]} (${p[best].toFixed(2)})`);
    }
    if (s.excluded[k]) el("span", "mir-excluded-text", head, " \u00a0 excluded by the policy");
    for (const set of (s.scores || []).slice(1)) {
      el("br", "", head);
      head.append(`${set.title}: ` + set.classes.map((c, i) => `${c} ${set.proba[k][i].toFixed(2)}`).join(", "));
    }
  }

  drawAll(k) {
    if (!this.data || k < 0) return;
    this.drawTopomap(k);
    this.drawSpectrum(k);
    this.drawVariance(k);
    this.drawProbabilities(k);
    if (this.current && this.shown === k) {
      this.drawTime(k);
      this.drawSegments(k);
    }
  }

  drawTopomap(k) {
    const surface = this.canvas.topomap;
    const ctx = surface.begin();
    const maps = this.data.topomaps;
    const n = Math.max(1, maps.length);
    const cell = surface.w / n;
    maps.forEach((t, m) => {
      const side = Math.min(cell, surface.h - 22) - 8;
      const cx = cell * m + cell / 2, cy = 18 + (surface.h - 18) / 2;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillText(`${ica(k)} (${t.ch_type})`, cx, 2);
      if (!t.images) {
        ctx.fillText("No channel positions", cx, cy);
        return;
      }
      const lim = Math.max(t.clip, 1.12);
      const X = (x) => cx + (x / lim) * (side / 2);
      const Y = (y) => cy - (y / lim) * (side / 2);
      const res = t.images.shape[1];
      const img = t.images.row(k);
      const vmax = t.vmax[k];
      if (!t.offscreen) {
        t.offscreen = document.createElement("canvas");
        t.offscreen.width = t.offscreen.height = res;
      }
      // rows back to front (origin lower): the last row at the top
      const image = rgbaImage(res, res, this.data.lut, (r, c) => paletteIndex(img[(res - 1 - r) * res + c], vmax));
      t.offscreen.getContext("2d").putImageData(image, 0, 0);
      const [x0, x1, y0, y1] = t.extent;
      ctx.save();
      ctx.beginPath();
      ctx.arc(X(0), Y(0), (t.clip / lim) * (side / 2), 0, 2 * Math.PI);
      ctx.clip();
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(t.offscreen, X(x0), Y(y1), X(x1) - X(x0), Y(y0) - Y(y1));
      ctx.restore();
      ctx.beginPath();
      ctx.lineWidth = 1;
      ctx.arc(X(0), Y(0), side / 2 / lim, 0, 2 * Math.PI);
      ctx.moveTo(X(-0.09), Y(0.996)); ctx.lineTo(X(0), Y(1.1)); ctx.lineTo(X(0.09), Y(0.996));
      for (const sgn of [1, -1]) {
        for (let i = 0; i < 30; i++) {
          const x = sgn * (1 + 0.06 * Math.sin((Math.PI * i) / 29)), y = -0.15 + (0.3 * i) / 29;
          i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y));
        }
      }
      ctx.stroke();
      const pos = t.sensors.flat;
      for (let i = 0; i < pos.length; i += 2) ctx.fillRect(X(pos[i]) - 1, Y(pos[i + 1]) - 1, 2, 2);
    });
    surface.canvas.dataset.component = String(k);
  }

  drawSpectrum(k) {
    const surface = this.canvas.spectrum;
    const ctx = surface.begin();
    const f = this.data.freqs.flat, y = this.data.psd.row(k);
    let lo = Infinity, hi = -Infinity;
    for (const v of y) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const span = hi > lo ? hi - lo : 1;
    const box = [56, 22, surface.w - 66, surface.h - 62];
    const { sx, sy } = axes(ctx, box, [f[0], f[f.length - 1]], [lo - 0.05 * span, hi + 0.05 * span],
      { grid: true, xlabel: "Frequency (Hz)", ylabel: "Power (dB)", title: "Power spectrum" });
    ctx.save();
    ctx.beginPath();
    ctx.rect(...box);
    ctx.clip();
    ctx.beginPath();
    for (let i = 0; i < f.length; i++) i ? ctx.lineTo(sx(f[i]), sy(y[i])) : ctx.moveTo(sx(f[i]), sy(y[i]));
    ctx.stroke();
    ctx.restore();
    surface.canvas.dataset.component = String(k);
  }

  drawTime(k) {
    const data = this.data;
    if (!data || data.kind !== "raw" || !this.current || this.shown !== k) return;
    const surface = this.canvas.time;
    const ctx = surface.begin();
    const start = this.scroll, stop = Math.min(data.n_times, start + data.nWin);
    const y = this.current;
    const t = (i) => data.t0 + i / data.sfreq;
    const box = [56, 22, surface.w - 66, surface.h - 62];
    const ylim = symmetric(y, start, stop);
    const { sx, sy } = axes(ctx, box, [t(start), t(stop - 1)], ylim,
      { xlabel: "Time (s)", ylabel: "Source (a.u.)", title: "Time course" });
    box.ty = sy;
    ctx.save();
    ctx.beginPath();
    ctx.rect(box[0], box[1], box[2], box[3]);
    ctx.clip();
    ctx.lineWidth = 0.6;
    polyline(ctx, t, y, start, stop, sx, box);
    ctx.restore();
    surface.canvas.dataset.component = String(k);
    surface.canvas.dataset.start = String(start);
  }

  drawSegments(k) {
    const data = this.data;
    const surface = this.canvas.segments;
    const ctx = surface.begin();
    const nSeg = data.n_segments, nt = data.n_segment_times;
    const epochs = data.kind === "epochs";
    const title = epochs ? "Epochs image" : `Segments of ${Number((nt / data.sfreq).toPrecision(4))} s`;
    const t0 = data.segment_t0, t1 = t0 + (nt - 1) / data.sfreq;
    const top = [56, 22, surface.w - 66, (surface.h - 62) * 0.7];
    const bottom = [56, top[1] + top[3] + 8, surface.w - 66, (surface.h - 62) * 0.3 - 8];
    const { sy } = axes(ctx, top, [t0, t1], [-0.5, nSeg - 0.5],
      { xlabels: false, ylabel: epochs ? "Epoch" : "Segment", title, yticks: niceTicks(0, Math.max(nSeg - 1, 1), 4).filter(Number.isInteger) });
    const src = this.current;
    const clim = data.segment_clim[k];
    if (!this.segCanvas) this.segCanvas = document.createElement("canvas");
    const off = this.segCanvas;
    if (off.width !== nt || off.height !== nSeg) { off.width = nt; off.height = Math.max(1, nSeg); }
    // segment 0 at the bottom
    const image = rgbaImage(nt, Math.max(1, nSeg), data.lut, (r, c) => paletteIndex(src[(nSeg - 1 - r) * nt + c], clim));
    off.getContext("2d").putImageData(image, 0, 0);
    ctx.save();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, top[0] + 0.5, top[1] + 0.5, top[2] - 1, top[3] - 1);
    ctx.restore();
    void sy;
    const mean = data.segMean.row(k);
    const ylim = symmetric(mean);
    const m = axes(ctx, bottom, [t0, t1], ylim, { xlabel: "Time (s)", ylabel: "Mean", ny: 2 });
    ctx.beginPath();
    for (let i = 0; i < nt; i++) {
      const x = m.sx(t0 + i / data.sfreq), v = m.sy(mean[i]);
      i ? ctx.lineTo(x, v) : ctx.moveTo(x, v);
    }
    ctx.lineWidth = 0.8;
    ctx.stroke();
    surface.canvas.dataset.component = String(k);
  }

  drawVariance(k) {
    const data = this.data;
    const surface = this.canvas.variance;
    const ctx = surface.begin();
    const v = data.segVar.row(k);
    let top = 0;
    for (const x of v) if (x > top) top = x;
    top = top > 0 ? 1.05 * top : 1;
    const n = Math.max(data.n_segments, 1);
    const epochs = data.kind === "epochs";
    const box = [62, 22, surface.w - 72, surface.h - 62];
    const { sx, sy } = axes(ctx, box, [-0.5, n - 0.5], [0, top], {
      grid: true, xlabel: epochs ? "Epoch" : "Segment", ylabel: "Variance (a.u.)",
      title: epochs ? "Variance per epoch" : "Variance per segment",
      xticks: niceTicks(0, n - 1, 5).filter(Number.isInteger),
    });
    for (let i = 0; i < v.length; i++) {
      ctx.fillStyle = data.segment_dropped[i] ? "#d00" : "#000";
      ctx.fillRect(sx(i) - 1.5, sy(v[i]) - 1.5, 3, 3);
    }
    surface.canvas.dataset.component = String(k);
  }

  drawProbabilities(k) {
    const surface = this.canvas.probabilities;
    const ctx = surface.begin();
    const sets = this.state.scores || [];
    if (!sets.length) {
      ctx.textAlign = "center";
      ctx.fillText("No class probabilities", surface.w / 2, surface.h / 2 - 8);
      ctx.fillText("(Label automatically)", surface.w / 2, surface.h / 2 + 8);
      surface.canvas.dataset.component = String(k);
      return;
    }
    const rows = sets.reduce((a, s) => a + s.classes.length + 1.6, 0);
    const unit = (surface.h - 24) / rows;
    let y = 4;
    const left = 88, width = surface.w - left - 34;
    for (const set of sets) {
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillStyle = "#000";
      ctx.fillText(set.title, left + width / 2, y);
      y += unit * 1.2;
      const p = set.proba[k];
      const best = p.indexOf(Math.max(...p));
      ctx.font = "11px system-ui, sans-serif";
      set.classes.forEach((name, i) => {
        const yy = y + i * unit;
        ctx.fillStyle = i === best ? "#b22222" : "#2a6fba";
        ctx.fillRect(left, yy + unit * 0.15, (p[i] / 1.18) * width, unit * 0.7);
        ctx.fillStyle = "#000";
        ctx.textAlign = "right";
        ctx.textBaseline = "middle";
        ctx.fillText(name, left - 4, yy + unit / 2);
        ctx.textAlign = "left";
        ctx.fillText(p[i].toFixed(2), left + (p[i] / 1.18) * width + 3, yy + unit / 2);
      });
      ctx.strokeStyle = "#000";
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left, y + set.classes.length * unit);
      ctx.stroke();
      y += set.classes.length * unit + unit * 0.4;
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText("Probability", left + width / 2, surface.h - 2);
    surface.canvas.dataset.component = String(k);
  }
}

// Mount the review in `root`; returns the app (its `perf` holds the last timings).
export function mount(root, transport, options) {
  const app = new ReviewApp(root, transport, options);
  app.started = app.start().catch((error) => app.say(`Could not open the review: ${error.message}`));
  return app;
}
