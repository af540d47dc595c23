// Staff: a short beep when the navigation's unread count rises, if the user switched the
// sound on (off by default; remembered in localStorage). Web Audio, no audio file.
(() => {
  const KEY = "showroom.notificationSound";
  const LAST = "showroom.unreadCount";
  let context = null;

  const enabled = () => window.localStorage.getItem(KEY) === "on";

  function audio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!context) context = new Context();
    if (context.state === "suspended") context.resume();
    return context;
  }

  function beep() {
    const ctx = audio();
    if (!ctx) return;
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.25);
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start();
    oscillator.stop(ctx.currentTime + 0.3);
    document.dispatchEvent(new CustomEvent("showroom:notification-sound"));
  }

  function show(button) {
    const on = enabled();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? button.dataset.labelOn : button.dataset.labelOff;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.querySelector("#notification-sound-toggle");
    if (button) {
      show(button);
      button.addEventListener("click", () => {
        window.localStorage.setItem(KEY, enabled() ? "off" : "on");
        show(button);
        if (enabled()) audio(); // unlocked by this click, so later beeps may play
      });
    }
  });

  // The badge is loaded and refreshed by htmx: compare its count with the last one seen in
  // this browser tab (sessionStorage, so moving between pages does not beep again).
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail && event.detail.target;
    if (!target || !target.matches("[data-unread-badge]")) return;
    const badge = target.querySelector("[data-unread]");
    const count = badge ? parseInt(badge.dataset.unread, 10) || 0 : 0;
    const stored = window.sessionStorage.getItem(LAST);
    window.sessionStorage.setItem(LAST, String(count));
    if (stored !== null && count > parseInt(stored, 10) && enabled()) beep();
  });
})();
