// The radiograph viewer (Streamlit components v2): window / level, zoom and pan over the
// film's own pixels, with the AI overlay following the view. Everything is drawn here
// from the data the page passes in (no network). Mouse: drag pans (or sets window /
// level in W/L mode; the right button always does), the wheel zooms about the pointer,
// a double click resets. The element stays mounted across reruns: a new answer only
// replaces the overlay, and the decoded film and the view are kept (also per image in
// sessionStorage, so a reload keeps the view). Under the film it draws the overlay
// controls the page sends (turn, layers, selected anchor, zoom to it): the page keeps
// their values, and a change goes back as the "controls" trigger with all of them, so
// the newest of two quick changes holds both.

const viewers = new WeakMap();

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let viewer = viewers.get(parentElement);
  if (!viewer) {
    viewer = createViewer(parentElement);
    viewers.set(parentElement, viewer);
  }
  viewer.update(data, setStateValue, setTriggerValue);
}

function createViewer(root) {
  const $ = (selector) => root.querySelector(selector);
  const box = $("#viewer-root");
  const canvas = $("#view");
  const ctx = canvas.getContext("2d");
  const readout = $("#readout");
  const controlsBox = $("#controls");
  const windowed = document.createElement("canvas");
  let config = null;
  let imageKey = null;
  let film = null; // the decoded film
  let grey = null; // its grey values, read back once a window other than the file's is set
  let state = null;
  let mode = "pan";
  let drag = null;
  let pending = false;
  let built = false;
  let askFull = null; // asks the page for the full-resolution film (once, on zoom)
  let askedFull = false;
  let sendControls = null; // sends the overlay controls to the page (a trigger)
  let controlsSignature = null;
  let chosen = null; // the overlay controls as shown: the page's, then the reader's changes
  let sent = 0; // the number of the reader's changes sent, which a run reports back as "seen"

  const defaults = () => ({ center: 0.5, width: 1.0, zoom: 1.0, panX: 0, panY: 0, preset: "full" });
  const storeKey = () => "casebook-view-" + config.viewKey;
  function loadState() {
    try { return Object.assign(defaults(), JSON.parse(sessionStorage.getItem(storeKey()) || "{}")); }
    catch (e) { return defaults(); }
  }
  function saveState() {
    try { sessionStorage.setItem(storeKey(), JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  // The film's height: the page's, less what a third row of controls (a narrow column)
  // needs beyond the room the element was given for them.
  function stageHeight() {
    const extra = Math.max(controlsBox.offsetHeight - (config.controlsHeight || 0), 0);
    return Math.max(config.height - 30 - extra, 100);
  }

  function size() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(box.clientWidth, 100);
    const height = stageHeight();
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    return { width, height, ratio };
  }

  // Film pixels -> CSS pixels: the fitted film, then zoom about the centre, then pan.
  function transform(area) {
    const fit = Math.min(area.width / config.imageWidth, area.height / config.imageHeight);
    const scale = fit * state.zoom;
    const x = (area.width - config.imageWidth * scale) / 2 + state.panX;
    const y = (area.height - config.imageHeight * scale) / 2 + state.panY;
    return { scale, x, y };
  }

  // The film as the file presents it needs no look-up table: drawn straight away, the
  // first paint skips reading back millions of pixels (grey values are read on demand).
  function applyWindow() {
    if (!film) return;
    const wctx = windowed.getContext("2d", { willReadFrequently: true });
    if (state.center === 0.5 && state.width === 1.0) {
      wctx.drawImage(film, 0, 0);
      return;
    }
    if (!grey) {
      wctx.drawImage(film, 0, 0);
      const rgba = wctx.getImageData(0, 0, config.pixelWidth, config.pixelHeight).data;
      grey = new Uint8ClampedArray(rgba.length / 4);
      for (let i = 0, j = 0; i < grey.length; i++, j += 4) grey[i] = rgba[j];
    }
    const lut = new Uint8ClampedArray(256);
    const low = (state.center - state.width / 2) * 255;
    const span = Math.max(state.width * 255, 1);
    for (let v = 0; v < 256; v++) lut[v] = Math.round(((v - low) / span) * 255);
    const out = wctx.createImageData(config.pixelWidth, config.pixelHeight);
    const pixels = out.data;
    for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
      const g = lut[grey[i]];
      pixels[j] = g; pixels[j + 1] = g; pixels[j + 2] = g; pixels[j + 3] = 255;
    }
    wctx.putImageData(out, 0, 0);
  }

  function draw() {
    pending = false;
    if (!film) return;
    const area = size();
    const view = transform(area);
    ctx.setTransform(area.ratio, 0, 0, area.ratio, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, area.width, area.height);
    // Past one screen pixel per film pixel the pixels show as they are (no smoothing).
    ctx.imageSmoothingEnabled = view.scale * area.ratio < 1;
    ctx.drawImage(windowed, view.x, view.y, config.imageWidth * view.scale, config.imageHeight * view.scale);
    drawOverlay(view);
    if (config.badge) {
      drawText({ text: config.badge, fontSize: 14, lineHeight: 1.25, fill: "#fff",
                 textBackgroundColor: "rgba(16, 28, 48, 0.8)" }, 8, 8);
    }
    // The page sends a lighter copy first; zoomed past its pixels, ask for the film's own.
    const shown = view.scale * area.ratio * config.imageWidth / config.pixelWidth;
    if (shown > 1.05 && !config.full && !askedFull && askFull) {
      askedFull = true;
      askFull("full", true);
    }
    const native = (view.scale * area.ratio).toFixed(2);
    readout.textContent = config.text.readout
      .replace("{w}", state.width.toFixed(2)).replace("{l}", state.center.toFixed(2))
      .replace("{z}", state.zoom.toFixed(1)).replace("{p}", native);
    readout.dataset.zoom = state.zoom.toFixed(3);
    readout.dataset.full = String(Boolean(config.full));
    readout.dataset.center = state.center.toFixed(3);
    readout.dataset.width = state.width.toFixed(3);
    readout.dataset.pan = state.panX.toFixed(1) + "," + state.panY.toFixed(1);
    root.querySelectorAll("#presets button").forEach(
      (b) => b.setAttribute("aria-pressed", String(b.dataset.preset === state.preset)));
    $("#mode-pan").setAttribute("aria-pressed", String(mode === "pan"));
    $("#mode-wl").setAttribute("aria-pressed", String(mode === "wl"));
    box.dataset.ready = "true";
    box.dataset.revision = config.revision;
  }
  function redraw() { if (!pending) { pending = true; requestAnimationFrame(draw); } }

  // The overlay comes in base pixels (the film scaled by config.baseScale); geometry
  // follows the view, while line widths and text stay the same size on screen.
  function drawOverlay(view) {
    const k = view.scale / config.baseScale;
    const px = (x) => view.x + x * k;
    const py = (y) => view.y + y * k;
    for (const o of config.objects) {
      ctx.save();
      ctx.globalAlpha = o.opacity === undefined ? 1 : o.opacity;
      ctx.lineWidth = o.strokeWidth || 1;
      ctx.strokeStyle = o.stroke || "transparent";
      ctx.setLineDash(o.strokeDashArray || []);
      const half = (o.strokeWidth || 0) / 2;
      if (o.type === "Rect") {
        const x = px(o.left + half), y = py(o.top + half), w = o.width * k, h = o.height * k;
        if (o.fill) { ctx.fillStyle = o.fill; ctx.fillRect(x, y, w, h); }
        if (o.stroke) ctx.strokeRect(x, y, w, h);
      } else if (o.type === "Polygon") {
        ctx.beginPath();
        o.points.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
        ctx.closePath();
        if (o.fill) { ctx.fillStyle = o.fill; ctx.fill(); }
        if (o.stroke) ctx.stroke();
      } else if (o.type === "Path") {
        ctx.beginPath();
        ctx.lineCap = o.strokeLineCap || "butt";
        for (const c of o.path) (c[0] === "M" ? ctx.moveTo(px(c[1]), py(c[2])) : ctx.lineTo(px(c[1]), py(c[2])));
        if (o.stroke) ctx.stroke();
      } else if (o.type === "Circle") {
        ctx.beginPath();
        ctx.arc(px(o.left + half + o.radius), py(o.top + half + o.radius), Math.max(o.radius * k, 2), 0, 2 * Math.PI);
        if (o.fill) { ctx.fillStyle = o.fill; ctx.fill(); }
        if (o.stroke) ctx.stroke();
      } else if (o.type === "Text") {
        drawText(o, px(o.left), py(o.top));
      }
      ctx.restore();
    }
  }

  function drawText(o, x, y) {
    const fontSize = o.fontSize || 13;
    const lines = String(o.text).split("\n");
    const step = fontSize * (o.lineHeight || 1.16);
    ctx.font = fontSize + "px " + (o.fontFamily || "Helvetica, Arial, sans-serif");
    ctx.textBaseline = "top";
    lines.forEach((line, i) => {
      const w = ctx.measureText(line).width;
      if (o.textBackgroundColor) {
        ctx.fillStyle = o.textBackgroundColor;
        ctx.fillRect(x - 1, y + i * step - 1, w + 4, step);
      }
      ctx.fillStyle = o.fill || "#fff";
      ctx.fillText(line, x + 1, y + i * step);
    });
  }

  function setPreset(name) {
    const p = config.presets[name];
    state.center = p.center; state.width = p.width; state.preset = name;
    applyWindow(); saveState(); redraw();
  }

  function zoomAt(factor, cx, cy) {
    const area = { width: canvas.clientWidth, height: canvas.clientHeight };
    const before = transform(area);
    const ix = (cx - before.x) / before.scale, iy = (cy - before.y) / before.scale;
    state.zoom = Math.min(Math.max(state.zoom * factor, 1), config.maxZoom);
    if (state.zoom === 1) { state.panX = 0; state.panY = 0; }
    const after = transform(area);
    // Keep the film point under the pointer where it was.
    state.panX += cx - (after.x + ix * after.scale);
    state.panY += cy - (after.y + iy * after.scale);
    saveState(); redraw();
  }

  // A new focus (the page asked to zoom to an anchor) wins over the stored view once.
  function focusView() {
    const key = JSON.stringify(config.focus);
    if (!config.focus || state.focusKey === key) return;
    const [x0, y0, x1, y1] = config.focus;
    const area = { width: Math.max(box.clientWidth, 100), height: stageHeight() };
    const fit = Math.min(area.width / config.imageWidth, area.height / config.imageHeight);
    const side = Math.max(x1 - x0, y1 - y0) * 3;
    state.zoom = Math.min(Math.max(Math.min(area.width, area.height) / (side * fit), 1), config.maxZoom);
    const scale = fit * state.zoom;
    state.panX = -((x0 + x1) / 2 - config.imageWidth / 2) * scale;
    state.panY = -((y0 + y1) / 2 - config.imageHeight / 2) * scale;
    state.focusKey = key;
    saveState();
  }

  function button(selector, label, title, onClick) {
    const b = $(selector);
    b.textContent = label; b.title = title; b.onclick = onClick;
  }

  function build() {
    const t = config.text;
    button("#mode-pan", t.pan, t.pan_help, () => { mode = "pan"; redraw(); });
    button("#mode-wl", t.wl, t.wl_help, () => { mode = "wl"; redraw(); });
    button("#zoom-in", "+", t.zoom_in, () => zoomAt(1.5, canvas.clientWidth / 2, canvas.clientHeight / 2));
    button("#zoom-out", "−", t.zoom_out, () => zoomAt(1 / 1.5, canvas.clientWidth / 2, canvas.clientHeight / 2));
    button("#reset", t.reset, t.reset_help, () => { state = defaults(); applyWindow(); saveState(); redraw(); });
    const presets = $("#presets");
    presets.replaceChildren();
    for (const name of Object.keys(config.presets)) {
      const b = document.createElement("button");
      b.textContent = config.presets[name].label;
      b.title = config.presets[name].help;
      b.dataset.preset = name;
      b.setAttribute("data-testid", "viewer-preset-" + name);
      b.onclick = () => setPreset(name);
      presets.appendChild(b);
    }
    if (built) return;
    built = true;
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX, e.offsetY);
    }, { passive: false });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      drag = { x: e.clientX, y: e.clientY, wl: mode === "wl" || e.button === 2,
               center: state.center, width: state.width, panX: state.panX, panY: state.panY };
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (drag.wl) {
        // Right: a wider window; down: a higher level, as on reading workstations.
        state.width = Math.min(Math.max(drag.width + dx / 300, 0.02), 2.0);
        state.center = Math.min(Math.max(drag.center + dy / 300, 0.0), 1.0);
        state.preset = "";
        applyWindow();
      } else {
        state.panX = drag.panX + dx; state.panY = drag.panY + dy;
      }
      redraw();
    });
    canvas.addEventListener("pointerup", () => { drag = null; saveState(); });
    canvas.addEventListener("dblclick", () => { state = defaults(); applyWindow(); saveState(); redraw(); });
    new ResizeObserver(redraw).observe(box);
  }

  function element(tag, text, testid) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (testid) node.setAttribute("data-testid", testid);
    return node;
  }

  function group(name) {
    const g = element("span");
    g.className = "group";
    if (name) { const n = element("span", name); n.className = "name"; g.appendChild(n); }
    controlsBox.appendChild(g);
    return g;
  }

  function toggle(where, label, testid, isOn, onClick) {
    const b = element("button", label, testid);
    b.type = "button";
    b.isOn = isOn;
    b.onclick = () => { onClick(); sendChosen(); };
    where.appendChild(b);
    return b;
  }

  function showChosen() {
    controlsBox.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.isOn())));
    controlsBox.querySelectorAll("select").forEach((s) => { s.value = String(s.current()); });
  }

  function sendChosen() {
    showChosen();
    sent += 1;
    if (sendControls) sendControls("controls", Object.assign({}, chosen, { layers: chosen.layers.slice(), sent }));
  }

  // Drawn again only when the page sends other controls: a reader's change stays shown
  // until the page answers it.
  function buildControls() {
    const c = config.controls || null;
    const signature = JSON.stringify(c);
    if (signature === controlsSignature) return;
    controlsSignature = signature;
    controlsBox.replaceChildren();
    if (!c) return;
    const t = c.text;
    // A run that answers an older change than the reader's last would undo the clicks
    // after it (several layer toggles in a row): those stay until a run has seen them.
    if (!chosen || (c.seen || 0) >= sent) {
      chosen = { turn: c.turn, layers: c.shownLayers.slice(), highlight: c.highlight, zoom: c.zoom };
    }
    if (c.turnCount === 1) {
      group(t.turn_one);
    } else if (c.turnCount > 1) {
      const g = group(t.turn);
      if (c.turnCount <= 12) {
        for (let n = 1; n <= c.turnCount; n++) {
          toggle(g, String(n), "viewer-turn-" + n, () => chosen.turn === n, () => { chosen.turn = n; });
        }
      } else {
        const s = element("select", undefined, "viewer-turn");
        s.setAttribute("aria-label", t.turn);
        for (let n = 1; n <= c.turnCount; n++) s.appendChild(new Option(String(n), String(n)));
        s.current = () => chosen.turn;
        s.onchange = () => { chosen.turn = Number(s.value); sendChosen(); };
        g.appendChild(s);
      }
    }
    const layers = group(t.layers);
    for (const [value, label] of c.layers) {
      toggle(layers, label, "viewer-layer-" + value, () => chosen.layers.includes(value), () => {
        chosen.layers = chosen.layers.includes(value)
          ? chosen.layers.filter((v) => v !== value)
          : c.layers.map(([v]) => v).filter((v) => v === value || chosen.layers.includes(v));
      });
    }
    const anchor = element("label");
    anchor.className = "group";
    const name = element("span", t.anchor);
    name.className = "name";
    const pick = element("select", undefined, "viewer-anchor");
    for (const [value, label] of c.anchors) pick.appendChild(new Option(label, value));
    pick.current = () => chosen.highlight;
    pick.onchange = () => { chosen.highlight = pick.value; sendChosen(); };
    anchor.append(name, pick);
    controlsBox.appendChild(anchor);
    const zoom = toggle(group(), t.zoom, "viewer-zoom-anchor", () => chosen.zoom, () => { chosen.zoom = !chosen.zoom; });
    zoom.title = t.zoom_help;
    zoom.disabled = !c.canZoom;
    showChosen();
  }

  function update(data, setStateValue, setTriggerValue) {
    const first = config === null;
    config = data;
    askFull = setStateValue || null;
    sendControls = setTriggerValue || null;
    if (config.full) askedFull = false;
    if (first || config.imageKey !== imageKey) state = loadState();
    build();
    buildControls();
    focusView();
    if (config.imageKey === imageKey) { redraw(); return; }
    imageKey = config.imageKey;
    film = null;
    grey = null;
    box.dataset.ready = "false";
    const source = new Image();
    source.onload = () => {
      if (imageKey !== config.imageKey) return; // another film was asked for meanwhile
      windowed.width = config.pixelWidth; windowed.height = config.pixelHeight;
      film = source;
      applyWindow();
      draw();
    };
    // The film comes from the server's media files: a link that a rerun dropped before
    // it was fetched is loaded again with the next update.
    source.onerror = () => { if (imageKey === config.imageKey) imageKey = null; };
    source.src = config.image;
  }

  return { update };
}
