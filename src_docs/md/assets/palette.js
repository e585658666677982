/* Light or dark: the site follows the reader's system setting, and a header button switches it
 * (remembered in localStorage). Material's stylesheet already has both schemes; this only sets
 * body[data-md-color-scheme], so no page carries the theme's own palette-toggle markup. */
(function () {
  "use strict";
  var KEY = "knollm.palette";
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function stored() {
    try { return localStorage.getItem(KEY); } catch (error) { return null; }
  }
  function current() {
    return stored() || (media && media.matches ? "slate" : "default");
  }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "knollm-palette md-header__button";
  function apply(scheme) {
    document.body.setAttribute("data-md-color-scheme", scheme);
    var next = scheme === "slate" ? "light" : "dark";
    button.setAttribute("aria-label", "Switch to the " + next + " theme");
    button.title = "Switch to the " + next + " theme";
    button.textContent = scheme === "slate" ? "☀" : "☾";
  }
  button.addEventListener("click", function () {
    var scheme = document.body.getAttribute("data-md-color-scheme") === "slate" ? "default" : "slate";
    try { localStorage.setItem(KEY, scheme); } catch (error) { /* private mode: this page only */ }
    apply(scheme);
  });
  if (media && media.addEventListener) {
    media.addEventListener("change", function () { if (!stored()) apply(current()); });
  }
  apply(current());
  var search = document.querySelector(".md-header__inner .md-search");
  if (search && search.parentNode) search.parentNode.insertBefore(button, search);
})();
