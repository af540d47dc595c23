// Showroom's own script. htmx and Bootstrap come from packages; keep inline scripts out (CSP).
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// A form marked data-autosubmit (one switch of the preference page) saves when it changes;
// without JavaScript its own button does.
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.requestSubmit();
});

// A row marked data-swap-errors (the staff home's one-tap actions) shows a refused action's
// reason: its 400 answer is the row with the message, swapped in like a success.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.detail.target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
