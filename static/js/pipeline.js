// Pipeline: drag a card onto another column to move the lead (the "Move to" form on each
// card does the same without a mouse or without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector(".pipeline[data-location]");
  if (!board) return;
  const error = document.querySelector("#pipeline-error");
  const token = document.querySelector("meta[name=csrf-token]");
  let dragged = null;
  board.querySelectorAll(".pipeline-card[data-move-url]").forEach((card) => {
    card.addEventListener("dragstart", (event) => {
      dragged = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.moveUrl);
    });
    card.addEventListener("dragend", () => { dragged = null; });
  });
  board.querySelectorAll(".pipeline-column[data-status]").forEach((column) => {
    column.addEventListener("dragover", (event) => {
      if (dragged) event.preventDefault();
    });
    column.addEventListener("drop", async (event) => {
      event.preventDefault();
      if (!dragged || dragged.closest(".pipeline-column") === column) return;
      const body = new FormData();
      body.append("to_status", column.dataset.status);
      body.append("location", board.dataset.location);
      const response = await fetch(dragged.dataset.moveUrl, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.content : "" },
        credentials: "same-origin",
      });
      const result = await response.json().catch(() => ({}));
      if (response.ok) {
        window.location.reload();
      } else if (error) {
        error.textContent = result.error || response.statusText;
        error.hidden = false;
      }
    });
  });
});
