// Admin: typing a VIN fills the vehicle fields that are still empty (staff may correct them).
// The admin loads form media in <head>: wait for the form.
document.addEventListener("DOMContentLoaded", () => {
  const vinInput = document.getElementById("id_vin");
  if (!vinInput || !vinInput.dataset.decodeUrl) return;
  const status = document.createElement("div");
  status.className = "help vin-decode-status";
  status.setAttribute("role", "status");
  vinInput.insertAdjacentElement("afterend", status);

  async function decode() {
    const vin = vinInput.value.replace(/\s+/g, "").toUpperCase();
    if (vin.length !== 17) return;
    const response = await fetch(`${vinInput.dataset.decodeUrl}?vin=${encodeURIComponent(vin)}`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json();
    if (!response.ok) {
      status.textContent = data.error;
      status.classList.add("errornote");
      return;
    }
    status.classList.remove("errornote");
    const filled = [];
    for (const [name, value] of Object.entries(data.fields)) {
      const field = document.getElementById(`id_${name}`);
      if (field && !field.value) {
        field.value = value;
        filled.push(field.labels && field.labels[0] ? field.labels[0].textContent.replace(":", "") : name);
      }
    }
    status.textContent = filled.length ? `${vinInput.dataset.filledLabel}: ${filled.join(", ")}` : "";
  }

  vinInput.addEventListener("change", decode);
});
