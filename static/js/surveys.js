// Survey answer page: save each answer as it is given, so a closed tab loses nothing.
// Without JavaScript the form still submits every answer at once.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.survey-form");
  if (!form) return;
  const url = form.action;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const timers = new Map();

  const save = (fieldset, value) => {
    const status = fieldset.querySelector(".save-status");
    const body = new URLSearchParams({ partial: "1", question: fieldset.dataset.question, value });
    fetch(url, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrf },
      credentials: "same-origin",
    })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        status.classList.toggle("text-danger", !ok);
        status.classList.toggle("text-success", ok);
        status.textContent = ok ? status.closest("form").dataset.savedText || "✓" : data.error;
      })
      .catch(() => { status.textContent = ""; });
  };

  form.addEventListener("change", (event) => {
    const input = event.target;
    const fieldset = input.closest("fieldset[data-question]");
    if (!fieldset) return;
    if (input.type === "radio" && input.checked) save(fieldset, input.value);
    if (input.tagName === "TEXTAREA") save(fieldset, input.value);
  });
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (input.tagName !== "TEXTAREA") return;
    const fieldset = input.closest("fieldset[data-question]");
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(() => save(fieldset, input.value), 800));
  });
});
