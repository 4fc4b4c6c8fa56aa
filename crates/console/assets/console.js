// Tandem console: partial page updates in the manner of htmx, written for the consoles.
//
// Every page works without this script. With it, a form or link marked data-target="ID" fetches its page in
// the background and replaces only the element with that id, keeping scroll position and focus nearby:
// - GET forms and links update the address bar, so the back button and bookmarks keep working;
// - POST forms follow the server's redirect and swap the fresh element from the page it leads to;
// - an error page's message is shown in the #flash region instead of leaving the page;
// - changing a select or checkbox of such a GET form (the queue's filters) applies it at once.
// Requests carry X-Console-Target, so the server may answer with just the target's fragment.
(function () {
  "use strict";

  function flash(message) {
    var box = document.getElementById("flash");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = !message;
  }

  function swap(targetId, html, responseUrl) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById(targetId);
    var current = document.getElementById(targetId);
    if (!fresh || !current) {
      window.location.assign(responseUrl);
      return;
    }
    current.replaceWith(document.importNode(fresh, true));
    if (doc.title) { document.title = doc.title; }
  }

  function errorMessage(html, status) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var node = doc.querySelector("[data-testid=error-message]");
    return node ? node.textContent : "The request failed (" + status + ").";
  }

  function request(targetId, url, options, push) {
    var current = document.getElementById(targetId);
    if (current) { current.setAttribute("aria-busy", "true"); }
    options.headers = { "X-Console-Target": targetId };
    options.credentials = "same-origin";
    return fetch(url, options).then(function (response) {
      return response.text().then(function (html) {
        if (current) { current.removeAttribute("aria-busy"); }
        if (!response.ok) {
          flash(errorMessage(html, response.status));
          return;
        }
        if (new URL(response.url).pathname === "/sign-in") {
          window.location.assign(response.url);
          return;
        }
        flash("");
        swap(targetId, html, response.url);
        if (push) { history.pushState({ console: true }, "", url); }
      });
    }).catch(function () {
      if (current) { current.removeAttribute("aria-busy"); }
      flash("The console could not be reached. Check the connection and try again.");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var targetId = form.getAttribute("data-target");
    if (!targetId || event.defaultPrevented) { return; }
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form, event.submitter));
    var method = (form.getAttribute("method") || "get").toUpperCase();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var done = function () { buttons.forEach(function (b) { b.disabled = false; }); };
    if (method === "GET") {
      var query = new URLSearchParams();
      data.forEach(function (value, key) { if (value !== "") { query.append(key, value); } });
      var url = form.action.split("?")[0] + (query.toString() ? "?" + query.toString() : "");
      request(targetId, url, { method: "GET" }, true).then(done);
    } else {
      request(targetId, form.action, { method: "POST", body: data }, false).then(done);
    }
  });

  // A changed filter applies at once: selects and checkboxes of a GET form marked with data-target resubmit it.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.form;
    var choice = field.tagName === "SELECT" || field.type === "checkbox";
    if (!choice || !form || !form.hasAttribute("data-target")) { return; }
    if ((form.getAttribute("method") || "get").toLowerCase() === "get") { form.requestSubmit(); }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-target]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    event.preventDefault();
    request(link.getAttribute("data-target"), link.href, { method: "GET" }, true);
  });

  window.addEventListener("popstate", function () { window.location.reload(); });
}());
