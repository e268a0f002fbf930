(table) => {
  // Every shortcut of the page; `table` is app/hotkeys.py's HOTKEYS, one entry per key press.
  // A press clicks a button that is on screen (so a key of another tab does nothing) or runs a
  // command on the player in view. Plain keys wait while the user types in a field.
  const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];
  const PLAYERS = ["#player", "#review-player", "#demo-player"];
  const DEFAULT_FPS = 30; // for players whose video's own rate the page is not told

  const onScreen = (el) => el && el.offsetParent !== null;
  const player = () =>
    PLAYERS.map((id) => document.querySelector(`${id} video`)).find(onScreen) || null;
  const help = () => document.querySelector(".vau-help");

  // The frame a player shows at `t` s. Frame k covers [k/fps, (k+1)/fps); the time is taken to
  // the millisecond first, so a seek's float error (9.99999 for 10) is no frame. The timeline's
  // clock (assets/timeline.js) reads the same function.
  const frameAt = (t, fps) => Math.floor((Math.round(t * 1000) / 1000) * fps + 1e-6);
  window.vauFrameAt = frameAt;

  function fpsOf(video) {
    const lanes = video.closest("#player") && document.querySelector("#timeline .vt");
    return Number.parseFloat(lanes?.dataset.fps) || DEFAULT_FPS;
  }

  function moveTo(video, t) {
    video.currentTime = Math.min(Math.max(t, 0), video.duration || t);
  }

  const commands = {
    play(video) {
      if (video.paused) video.play();
      else video.pause();
    },
    frames(video, n) {
      // Landing in the middle of a frame shows exactly that frame.
      video.pause();
      const fps = fpsOf(video);
      const frame = frameAt(video.currentTime, fps);
      moveTo(video, (Math.max(frame + n, 0) + 0.5) / fps);
    },
    seconds(video, n) {
      video.pause();
      moveTo(video, video.currentTime + n);
    },
    speed(video, n) {
      const at = SPEEDS.indexOf(video.playbackRate);
      const here = at >= 0 ? at : SPEEDS.indexOf(1);
      const next = n === 0 ? SPEEDS.indexOf(1) : Math.min(Math.max(here + n, 0), SPEEDS.length - 1);
      video.playbackRate = SPEEDS[next];
    },
    help() {
      const box = help();
      if (box) box.hidden = !box.hidden;
    },
    "close-help"() {
      const box = help();
      if (!box || box.hidden) return false;
      box.hidden = true;
    },
  };
  const needsPlayer = new Set(["play", "frames", "seconds", "speed"]);

  function typing(target) {
    return target.closest?.("input, textarea, select, [contenteditable=true]") != null;
  }

  function matches(b, event) {
    const ctrl = event.ctrlKey || event.metaKey;
    const mod = ctrl && !event.altKey ? "ctrl" : event.altKey && !ctrl ? "alt" : "";
    if (mod !== b.mod) return false;
    if (b.key) return event.key === b.key;
    return event.code === b.code && event.shiftKey === b.shift;
  }

  function run(b, event) {
    if (b.button) {
      const button = document.getElementById(b.button);
      if (!onScreen(button) || event.repeat) return false;
      button.click();
      return true;
    }
    const video = needsPlayer.has(b.command) ? player() : null;
    if (needsPlayer.has(b.command) && !video) return false;
    return commands[b.command](video, b.arg) !== false;
  }

  document.addEventListener("keydown", (event) => {
    const binding = table.find((b) => matches(b, event));
    if (!binding) return;
    if (!binding.mod && binding.key !== "Escape" && typing(event.target)) return;
    if (run(binding, event)) event.preventDefault();
  });

  // The help list opens from its buttons and closes on its × or a click beside it.
  document.addEventListener("click", (event) => {
    const box = help();
    if (!box) return;
    if (event.target.closest(".vau-help-open")) box.hidden = !box.hidden;
    else if (event.target.closest(".vau-help-close") || event.target === box) box.hidden = true;
  });
}
