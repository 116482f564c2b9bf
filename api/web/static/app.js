// Every page: htmx shows refusals (4xx) in the element a request targets, so the server's reason is read.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
  }
});

// A finder form (opening an exit case): a household picked from the search fills in its number.
document.addEventListener("click", function (event) {
  var pick = event.target.closest(".finder .pick");
  if (!pick) return;
  var form = pick.closest("form");
  form.elements.subject_id.value = pick.dataset.id;
  if (pick.dataset.level) form.elements.level.value = pick.dataset.level;
});
