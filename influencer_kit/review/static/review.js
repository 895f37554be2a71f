// The review app's few behaviours on top of htmx (served by the app itself; no CDN).
htmx.config.responseHandling = [{code: "204", swap: false}, {code: "...", swap: true}];  // show error pages too

function updateSelection() {
  const picked = document.querySelectorAll("#merge-form input[name=person]:checked");
  const button = document.getElementById("merge");
  if (!button) return;
  button.disabled = picked.length < 2;
  document.getElementById("selected-count").textContent = picked.length
    ? picked.length + " selected: the lowest id keeps the others' faces"
    : "Select people to merge them";
  document.querySelectorAll("#merge-form .card").forEach(function (card) {
    card.classList.toggle("picked", card.querySelector("input[name=person]").checked);
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches("#merge-form input[name=person]")) updateSelection();
  if (event.target.matches(".pick-video")) {  // a video ticked ticks its faces
    event.target.closest(".video").querySelectorAll("input[name=face]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});
