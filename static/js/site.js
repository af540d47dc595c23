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
