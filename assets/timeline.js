// The Studio's timeline editor (gr.HTML js_on_load; app/editor.py draws the lanes).
// `element` is the component's root and survives the server re-drawing the lanes, so every
// listener sits on it (or on the document) and reads the lanes afresh when it runs.
// Made here, kept in the correction form: a finished drag writes the Start and End fields,
// exactly as typing would, so Save / Submit and the unsaved-edit guard see it like any edit.
// The other way round, the Yours lane follows those fields here in the browser: a server
// round trip per field raced (two replies, either order) and could leave a stale lane.
const PLAYER = "#player video";
const STEP = 0.1; // seconds: the form's precision
const CLICK_PX = 4; // a press that moves less than this is a click, not a drag

const lanes = () => element.querySelector(".vt");
const video = () => document.querySelector(PLAYER);
const clamp = (x, lo, hi) => Math.min(Math.max(x, lo), hi);
const snap = (t) => Math.round(t / STEP) * STEP;
const num = (v) => Number.parseFloat(v);

function span() {
  return num(lanes()?.dataset.span) || 1;
}

function limit() {
  // Intervals stay inside the video; without a known duration, inside the axis.
  const d = num(lanes()?.dataset.duration);
  return d > 0 ? d : span();
}

function timeAt(x) {
  const track = lanes().querySelector(".vt-lane .vt-track");
  const box = track.getBoundingClientRect();
  return clamp((x - box.left) / box.width, 0, 1) * span();
}

function seek(t) {
  const v = video();
  if (v) v.currentTime = clamp(t, 0, v.duration || limit());
}

function setField(id, value) {
  // Gradio's Number listens to the input's own events; set it as the browser would.
  const input = document.querySelector(`#${id} input`);
  if (!input) return;
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  setter.call(input, String(value));
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.dispatchEvent(new Event("change", { bubbles: true }));
  input.dispatchEvent(new Event("blur"));
}

function yoursBar() {
  const track = lanes().querySelector('[data-lane="Yours"] .vt-track');
  let bar = track.querySelector(".vt-yours");
  if (!bar) {
    bar = document.createElement("div");
    bar.className = "vt-bar vt-yours";
    bar.innerHTML = '<span class="vt-grip" data-edge="start"></span>'
      + '<span class="vt-grip" data-edge="end"></span>';
    track.appendChild(bar);
    track.querySelector(".vt-hint")?.remove();
  }
  return bar;
}

function drawYours(start, end) {
  const bar = yoursBar();
  const label = `Yours: ${start.toFixed(1)}–${end.toFixed(1)} s`;
  // An impossible interval (typed before the form refuses it) stays on the lane, at its edge.
  const [lo, hi] = [clamp(start, 0, span()), clamp(end, 0, span())];
  bar.style.left = `${(100 * lo) / span()}%`;
  bar.style.width = `${Math.max((100 * (hi - lo)) / span(), 0.4)}%`;
  bar.classList.toggle("vt-outside", lo !== start || hi !== end);
  bar.dataset.start = start;
  bar.dataset.end = end;
  bar.title = label;
  bar.setAttribute("aria-label", label);
}

function fieldValue(id) {
  const text = document.querySelector(`#${id} input`)?.value ?? "";
  return text.trim() === "" ? null : num(text);
}

function followFields() {
  // The lane shows the form's interval whenever both ends are numbers (sorted, as the server
  // draws it); with an end missing it is empty again.
  if (!lanes() || drag) return;
  const [a, b] = [fieldValue("fix-start"), fieldValue("fix-end")];
  const bar = lanes().querySelector(".vt-yours");
  // 0 / 0 is the protocol's Normal marker, and what empty number fields show: no interval.
  if (Number.isFinite(a) && Number.isFinite(b) && !(a === 0 && b === 0)) {
    const [start, end] = [Math.min(a, b), Math.max(a, b)];
    if (!bar || num(bar.dataset.start) !== start || num(bar.dataset.end) !== end) {
      drawYours(start, end);
    }
  } else if (bar) {
    const track = bar.parentElement;
    bar.remove();
    track.insertAdjacentHTML("afterbegin",
      '<span class="vt-hint">drag here to draw your interval</span>');
  }
}

let drag = null; // the press in progress: its mode, where it began, the interval it makes

function reshape(d, t) {
  // The interval `d` becomes with the pointer at `t`, drawn at once; the form waits for the end.
  const top = limit();
  if (d.mode === "start") d.start = clamp(snap(t), 0, d.end - STEP);
  else if (d.mode === "end") d.end = clamp(snap(t), d.start + STEP, top);
  else if (d.mode === "move") {
    const length = d.end - d.start;
    d.start = clamp(snap(t - d.grab), 0, top - length);
    d.end = d.start + length;
  } else {
    const [a, b] = [clamp(snap(d.anchor), 0, top), clamp(snap(t), 0, top)];
    [d.start, d.end] = [Math.min(a, b), Math.max(a, b)];
  }
  if (d.end - d.start < STEP) return;
  drawYours(d.start, d.end);
  lanes().querySelector(".vt-readout").textContent = `${d.start.toFixed(1)}–${d.end.toFixed(1)} s`;
}

element.addEventListener("pointerdown", (event) => {
  const track = event.target.closest(".vt-track");
  if (!track || event.button !== 0 || !lanes()) return;
  event.preventDefault();
  const t = timeAt(event.clientX);
  drag = { mode: "seek", x0: event.clientX, start: 0, end: 0 };
  if (event.target.closest(".vt-lane").dataset.lane === "Yours") {
    const bar = track.querySelector(".vt-yours");
    const grip = event.target.closest(".vt-grip");
    drag.start = bar ? num(bar.dataset.start) : 0;
    drag.end = bar ? num(bar.dataset.end) : 0;
    if (grip) drag.mode = grip.dataset.edge;
    else if (event.target.closest(".vt-yours")) Object.assign(drag, { mode: "move", grab: t - drag.start });
    else Object.assign(drag, { mode: "draw", anchor: t });
  }
  element.setPointerCapture(event.pointerId);
  if (drag.mode === "seek") seek(t);
});

function scoreAt(t) {
  // The Score lane's point nearest to `t` seconds: [t, score], or null without a scan.
  const curve = lanes()?.querySelector(".vt-curve")?.dataset.curve;
  if (!curve) return null;
  const points = curve.split(",").map((p) => p.split(":").map(Number));
  return points.reduce((best, p) => (Math.abs(p[0] - t) < Math.abs(best[0] - t) ? p : best));
}

element.addEventListener("pointermove", (event) => {
  const onScore = event.target.closest('[data-lane="Score"] .vt-track');
  if (onScore && !drag) {
    const p = scoreAt(timeAt(event.clientX));
    if (p) lanes().querySelector(".vt-readout").textContent = `score ${p[1].toFixed(2)} at ${p[0].toFixed(1)} s`;
  }
  if (!drag) return;
  const t = timeAt(event.clientX);
  if (drag.mode === "seek") seek(t); // scrubbing
  else if (Math.abs(event.clientX - drag.x0) >= CLICK_PX) reshape(drag, t);
});

element.addEventListener("pointerleave", () => {
  const readout = lanes()?.querySelector(".vt-readout");
  if (!drag && readout?.textContent.startsWith("score")) readout.textContent = "";
});

element.addEventListener("pointerup", (event) => {
  const d = drag;
  drag = null;
  if (!d || d.mode === "seek") return;
  const t = timeAt(event.clientX);
  if (Math.abs(event.clientX - d.x0) < CLICK_PX) return seek(t); // a click on Yours seeks too
  reshape(d, t);
  lanes().querySelector(".vt-readout").textContent = "";
  if (d.end - d.start < STEP) return;
  setField("fix-start", d.start.toFixed(1));
  setField("fix-end", d.end.toFixed(1));
});

element.addEventListener("pointercancel", () => {
  drag = null;
});

// The playhead, the clock and the captions follow the player, whatever moved it.
function follow() {
  const root = lanes();
  const v = video();
  if (!root || !v) return;
  const t = v.currentTime || 0;
  root.querySelector(".vt-playhead").style.setProperty("--t", clamp(t / span(), 0, 1));
  root.querySelector(".vt-clock").textContent = clockText(t, num(root.dataset.fps));
  root.querySelector(".vt-speed").textContent = `${v.playbackRate}×`;
  caption(root, v, t);
}

// The time to the millisecond, cut (never rounded up) to 0.01 s, and the frame on screen
// (window.vauFrameAt, from assets/keys.js): 9.997 s reads "9.99 s · frame 99", not "10.00 s".
function clockText(t, fps) {
  const shown = (Math.floor(Math.round(t * 1000) / 10 + 1e-6) / 100).toFixed(2);
  const frameAt = window.vauFrameAt;
  return fps > 0 && frameAt ? `${shown} s · frame ${frameAt(t, fps)}` : `${shown} s`;
}

function caption(root, v, t) {
  const holder = v.parentElement;
  let box = holder.querySelector(".vau-caption");
  if (!box) {
    box = document.createElement("div");
    box.className = "vau-caption";
    holder.appendChild(box);
  }
  const lines = Array.from(root.querySelectorAll(".vt-captions li"))
    .filter((li) => num(li.dataset.start) <= t && t <= num(li.dataset.end) + 0.5)
    .map((li) => li.textContent);
  box.textContent = lines.join("\n");
  box.hidden = lines.length === 0;
}

let playing = false;
function loop() {
  follow();
  if (playing) requestAnimationFrame(loop);
}

const onPlayer = (handler) => (event) => {
  if (event.target.matches?.(PLAYER)) handler(event);
};
// Media events do not bubble; listening in the capture phase still sees them.
for (const name of ["timeupdate", "seeked", "loadedmetadata", "ratechange", "pause"]) {
  document.addEventListener(name, onPlayer(follow), true);
}
document.addEventListener("play", onPlayer(() => {
  playing = true;
  loop();
}), true);
document.addEventListener("pause", onPlayer(() => {
  playing = false;
}), true);
for (const name of ["input", "change"]) {
  document.addEventListener(name, (event) => {
    if (event.target.closest?.("#fix-start, #fix-end")) followFields();
  }, true);
}
// A reply from the server (a nudge, a restore, "start ← player") sets the fields without an
// input event; a light poll sees those too.
setInterval(followFields, 200);
watch("value", () => {
  follow();
  followFields();
});
follow();
followFields();
