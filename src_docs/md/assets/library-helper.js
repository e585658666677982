// "Which library?" on the libraries page: the answers were ranked at build time by
// knollm.recommend for every combination of the questions; this only looks one up and
// shows it. Every string is inserted with textContent, never as HTML.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("knollm-helper");
    var list = document.getElementById("knollm-helper-results");
    if (!form || !list) return;
    var answers = form.getAttribute("data-answers").split(";");
    var reasons = JSON.parse(form.getAttribute("data-reasons"));
    var libraries = JSON.parse(form.getAttribute("data-libraries"));
    var selects = form.querySelectorAll("select");
    function show() {
      // Answers are stored in the order of the questions' options (first question outermost).
      var index = 0;
      Array.prototype.forEach.call(selects, function (select) {
        index = index * select.options.length + select.selectedIndex;
      });
      var entries = (answers[index] || "").split(",").filter(Boolean);
      list.textContent = "";
      if (!entries.length) {
        var none = document.createElement("li");
        none.textContent = "No reviewed library has every feature asked for.";
        list.appendChild(none);
        return;
      }
      entries.forEach(function (entry) {
        var parts = entry.split(" ");
        var library = libraries[Number(parts[0])];
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.setAttribute("href", library.href);
        link.textContent = library.name;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" — score " + parts[1]));
        var why = document.createElement("ul");
        (parts[2] || "").split(".").filter(Boolean).forEach(function (id) {
          var reason = document.createElement("li");
          reason.textContent = reasons[Number(id)];
          why.appendChild(reason);
        });
        item.appendChild(why);
        list.appendChild(item);
      });
    }
    form.addEventListener("change", show);
    show();
  }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else document.addEventListener("DOMContentLoaded", init);
})();
