// The print buttons of the printable pages (the draw's commitment for the meeting notice).
// A script file, not an inline onclick: the Content-Security-Policy (script-src 'self')
// blocks inline handlers, and the button did nothing.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
