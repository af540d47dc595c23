// Enquiry form: show the trade-in fields only for a trade-in valuation.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.enquiry-form").forEach((form) => {
    const type = form.querySelector("select[name=type]");
    const tradein = form.querySelector("[data-show-for-type]");
    if (!type || !tradein) return;
    const update = () => { tradein.hidden = type.value !== tradein.dataset.showForType; };
    type.addEventListener("change", update);
    update();
  });
  // Inbox: "select all" for the bulk reassignment.
  const all = document.querySelector("#select-all-leads");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input[name=leads]").forEach((box) => { box.checked = all.checked; });
    });
  }
});
