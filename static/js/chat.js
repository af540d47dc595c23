// The showroom's live chat (conversations/chat_widget.html): our own script, no third party.
// Writes are POSTs (CSRF token from <meta name="csrf-token">); the WebSocket /ws/chat/ only
// brings the consultant's lines and status changes. Every body is inserted as text.
(function () {
  "use strict";
  const root = document.getElementById("chat-widget");
  if (!root) return;
  const byId = (id) => document.getElementById(id);
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const seen = new Set();
  const state = { status: "none", lines: [] };
  let socket = null;
  let retry = 1000;
  const text = (key) => root.dataset["text" + key] || "";
  const toggle = byId("chat-toggle");
  const template = byId("chat-template");
  let mounted = false;

  // The panel's markup waits in a <template> until the visitor opens the chat or a chat resumes.
  function mount(openNow) {
    if (!mounted) {
      mounted = true;
      root.append(document.importNode(template.content, true));
      init();
    }
    if (openNow) openPanel();
  }
  toggle.addEventListener("click", () => {
    if (!mounted) mount(true);
    else if (byId("chat-panel").hidden) openPanel();
    else closePanel();
  });

  let panel, log, statusLine, errors, forms, openPanel, closePanel;
  function init() {
    panel = byId("chat-panel");
    log = byId("chat-log");
    statusLine = byId("chat-status");
    errors = byId("chat-errors");
    forms = {
      start: byId("chat-start-form"),
      send: byId("chat-send-form"),
      details: byId("chat-details-form"),
      transcript: byId("chat-transcript-form"),
    };

    function firstField() {
      return panel.querySelector(
        "form:not([hidden]) textarea, form:not([hidden]) input:not([type=hidden]):not([tabindex='-1'])"
      );
    }
    openPanel = function () {
      panel.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      (firstField() || panel.querySelector("[data-chat-close]")).focus();
    };
    closePanel = function () {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    };
    panel.querySelector("[data-chat-close]").addEventListener("click", closePanel);
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closePanel();
    });

    function addLine(line) {
      if (!line || line.id === undefined || seen.has(line.id)) return;
      seen.add(line.id);
      const item = document.createElement("li");
      item.className = "chat-line chat-line-" + (line.direction === "out" ? "out" : "in");
      const who = document.createElement("span");
      who.className = "chat-who";
      who.textContent = line.direction === "out" ? line.author || text("Staff") : text("You");
      const body = document.createElement("span");
      body.className = "chat-body";
      body.textContent = line.body;
      item.append(who, body);
      log.append(item);
      log.scrollTop = log.scrollHeight;
      if (panel.hidden && line.direction === "out") toggle.classList.add("btn-warning");
    }

    function render() {
      const status = state.status;
      forms.start.hidden = !(status === "none" || status === "closed");
      forms.send.hidden = !(status === "waiting" || status === "active");
      forms.details.hidden = !(status === "offline" && !state.has_details);
      forms.transcript.hidden = status === "none";
      let line = "";
      if (status === "waiting") line = text("Waiting");
      else if (status === "active") line = text("Accepted").replace("{name}", state.consultant || text("Staff"));
      else if (status === "offline") line = state.has_details ? text("Thanks") : text("Offline");
      else if (status === "closed") line = text("Closed");
      statusLine.textContent = line;
    }

    function apply(next) {
      Object.assign(state, next);
      (next.lines || []).forEach(addLine);
      render();
      if (state.status !== "none" && state.status !== "closed") connect();
    }

    async function post(url, form) {
      errors.textContent = "";
      let response;
      try {
        response = await fetch(url, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRFToken": csrf, Accept: "application/json" },
          credentials: "same-origin",
        });
      } catch (error) {
        errors.textContent = text("Error");
        return null;
      }
      let data = {};
      try {
        data = await response.json();
      } catch (error) {
        data = {};
      }
      if (!response.ok) {
        const messages = Object.values(data.errors || {}).flat();
        errors.textContent = messages.join(" ") || text("Error");
        return null;
      }
      return data;
    }

    forms.start.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = await post(root.dataset.startUrl, forms.start);
      if (!data) return;
      forms.start.reset();
      apply(data);
      const field = firstField();
      if (field) field.focus();
    });
    forms.send.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = await post(root.dataset.sendUrl, forms.send);
      if (!data) return;
      forms.send.reset();
      addLine(data);
    });
    forms.details.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = await post(root.dataset.detailsUrl, forms.details);
      if (data) apply(data);
    });
    forms.transcript.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = await post(root.dataset.transcriptUrl, forms.transcript);
      if (data) {
        forms.transcript.reset();
        statusLine.textContent = data.message || "";
      }
    });

    async function refresh() {
      try {
        const response = await fetch(root.dataset.stateUrl, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (response.ok) apply(await response.json());
      } catch (error) {
        /* offline: the next reconnect tries again */
      }
    }

    function connect() {
      if (socket) return;
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + root.dataset.socketPath);
      socket.addEventListener("open", () => {
        retry = 1000;
        refresh(); // lines written before the socket opened
      });
      socket.addEventListener("message", (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (data.kind === "line") addLine(data);
        else if (data.kind === "status") {
          Object.assign(state, {
            status: data.status,
            consultant: data.consultant,
            has_details: data.has_details,
          });
          render();
        }
      });
      socket.addEventListener("close", (event) => {
        socket = null;
        if (event.code === 4401 || state.status === "closed") return;
        window.setTimeout(refresh, retry);
        retry = Math.min(retry * 2, 30000);
      });
    }
    window.setInterval(() => {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
    }, 25000);

    // Up to three help articles for what the visitor types, until a consultant answers.
    const suggestions = byId("chat-suggestions");
    const suggestionList = byId("chat-suggestion-list");
    let suggestTimer = null;
    function suggest(query) {
      window.clearTimeout(suggestTimer);
      const answered = state.lines.some((line) => line.direction === "out") || log.querySelector(".chat-line-out");
      if (answered || query.trim().length < 3) {
        suggestions.hidden = true;
        return;
      }
      suggestTimer = window.setTimeout(async () => {
        try {
          const response = await fetch(root.dataset.suggestUrl + "?q=" + encodeURIComponent(query), {
            headers: { Accept: "application/json" },
          });
          if (!response.ok) return;
          const articles = await response.json();
          suggestionList.replaceChildren();
          articles.slice(0, 3).forEach((article) => {
            const item = document.createElement("li");
            const link = document.createElement("a");
            link.href = article.url;
            link.textContent = article.title;
            item.append(link);
            suggestionList.append(item);
          });
          suggestions.hidden = articles.length === 0;
        } catch (error) {
          suggestions.hidden = true;
        }
      }, 300);
    }
    ["chat-start-body", "chat-send-body"].forEach((id) => {
      byId(id).addEventListener("input", (event) => suggest(event.target.value));
    });

    render();
    if (resuming()) refresh();
  }

  function resuming() {
    return document.cookie.split("; ").includes("showroom_chat_on=1");
  }
  toggle.addEventListener("click", () => toggle.classList.remove("btn-warning"));
  if (resuming()) mount(false);
})();
