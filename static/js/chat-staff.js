// The staff side of the live chat: the chat board (/staff/chats/) refreshes itself when a chat
// arrives, is taken or goes offline; a chat page shows the visitor's lines as they come and
// sends answers without reloading. The WebSocket /ws/staff/chats/ only listens; writes are
// POSTs. The board's HTML comes from the server (escaped there); lines are inserted as text.
(function () {
  "use strict";
  const root = document.querySelector("[data-chat-staff]");
  if (!root) return;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const chatId = root.dataset.chat ? parseInt(root.dataset.chat, 10) : null;
  const boardUrl = root.dataset.boardUrl || "";
  const log = document.getElementById("chat-log");
  const notice = document.getElementById("chat-notice");
  const seen = new Set();
  let socket = null;
  let retry = 1000;
  const text = (key) => root.dataset["text" + key] || "";

  if (log) {
    log.querySelectorAll("[data-line]").forEach((item) => seen.add(parseInt(item.dataset.line, 10)));
    log.scrollTop = log.scrollHeight;
  }

  function addLine(line) {
    if (!log || seen.has(line.id)) return;
    seen.add(line.id);
    const item = document.createElement("li");
    item.className = "chat-line chat-line-" + (line.direction === "out" ? "out" : "in");
    item.dataset.line = String(line.id);
    const who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = line.direction === "out" ? line.author : text("Visitor");
    const body = document.createElement("span");
    body.className = "chat-body";
    body.textContent = line.body;
    item.append(who, body);
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  let boardTimer = null;
  function refreshBoard() {
    if (!boardUrl) return;
    window.clearTimeout(boardTimer);
    boardTimer = window.setTimeout(async () => {
      try {
        const response = await fetch(boardUrl + "?partial=1", { credentials: "same-origin" });
        if (response.ok) root.innerHTML = await response.text();
      } catch (error) {
        /* the next event tries again */
      }
    }, 50);
  }

  function onEvent(data) {
    if (boardUrl && typeof data.kind === "string" && data.kind.startsWith("chat.")) refreshBoard();
    if (chatId === null || data.chat !== chatId) return;
    if (data.kind === "watching") root.dataset.watching = "1";
    else if (data.kind === "line") addLine(data);
    else if (data.kind === "chat.taken" && String(data.by_id) !== root.dataset.me) {
      const accept = document.getElementById("chat-accept-form");
      if (accept) accept.hidden = true;
      if (notice) notice.textContent = text("Taken").replace("{name}", data.by);
    } else if (data.kind === "chat.offline" && notice) {
      const accept = document.getElementById("chat-accept-form");
      if (accept) accept.hidden = true;
      notice.textContent = text("Offline");
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.socketPath);
    socket.addEventListener("open", () => {
      retry = 1000;
      if (chatId !== null) socket.send(JSON.stringify({ type: "watch", chat: chatId }));
      refreshBoard();
    });
    socket.addEventListener("message", (event) => {
      try {
        onEvent(JSON.parse(event.data));
      } catch (error) {
        /* not an event */
      }
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4401 || event.code === 4403) return;
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }
  connect();
  window.setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
  }, 25000);

  const form = document.getElementById("chat-reply-form");
  if (form) {
    const errors = document.getElementById("chat-errors");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (errors) errors.textContent = "";
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        credentials: "same-origin",
      });
      let data = {};
      try {
        data = await response.json();
      } catch (error) {
        data = {};
      }
      if (!response.ok) {
        if (errors) errors.textContent = Object.values(data.errors || {}).flat().join(" ");
        return;
      }
      form.reset();
      addLine(data);
      form.querySelector("textarea").focus();
    });
  }
})();
