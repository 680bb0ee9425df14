// Behaviour the content security policy keeps out of inline attributes (no eval, no inline scripts).
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (form && form.hasAttribute && form.hasAttribute("data-reset-after-request")) form.reset();
});
// A long form post (an import): the button says it is working and cannot be pressed twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-busy")) return;
  var button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; button.textContent = form.getAttribute("data-busy"); }
});
