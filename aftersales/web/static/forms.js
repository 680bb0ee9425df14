// Behaviour the content security policy keeps out of inline attributes (no eval, no inline scripts).
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (form && form.hasAttribute && form.hasAttribute("data-reset-after-request")) form.reset();
});
