/* Impor: the upload's progress and its answers with htmx. The form works without this file
   (a plain multipart POST); with it, the result is shown below the form, which keeps the
   chosen file, so a checked file can be imported without choosing it again. */
(function () {
  "use strict";
  var SHOWN = [400, 413, 415, 422]; // the console's own page of a refusal, shown beside the form

  function form() { return document.getElementById("impor-form"); }
  function ours(evt) { // htmx names the form as elt, or (events on the target) in requestConfig
    var f = form(), d = evt.detail || {};
    return !!f && (d.elt === f || (!!d.requestConfig && d.requestConfig.elt === f));
  }

  function progress(show, value) {
    var box = document.getElementById("impor-progres-wadah");
    var bar = document.getElementById("impor-progres");
    if (!box || !bar) { return; }
    box.hidden = !show;
    if (value !== undefined) { bar.value = value; }
  }

  function buttons(disabled) {
    form().querySelectorAll("button").forEach(function (b) { b.disabled = disabled; });
  }

  function problem(text) {
    var target = document.getElementById("laporan");
    if (!target) { return; }
    var box = document.createElement("div");
    box.className = "problem";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    target.replaceChildren(box);
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (!ours(evt)) { return; }
    var f = form();
    var input = f.querySelector("input[type=file]");
    var most = parseInt(f.getAttribute("data-max-bytes") || "0", 10);
    if (input && input.files && input.files[0] && most > 0 && input.files[0].size > most) {
      evt.preventDefault(); // the console would refuse it: said here, nothing sent
      problem(f.getAttribute("data-too-large") || "");
      return;
    }
    progress(true, 0);
    buttons(true);
  });

  document.addEventListener("htmx:xhr:progress", function (evt) {
    if (ours(evt) && evt.detail.lengthComputable && evt.detail.total > 0) {
      progress(true, Math.round(100 * evt.detail.loaded / evt.detail.total));
    }
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    if (!ours(evt)) { return; }
    progress(false, 0);
    buttons(false);
  });

  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (!ours(evt)) { return; }
    var xhr = evt.detail.xhr;
    if (SHOWN.indexOf(xhr.status) < 0) { return; }
    if ((xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    } else if (xhr.status === 413) { // refused before the console's page could answer
      evt.detail.shouldSwap = false;
      problem(form().getAttribute("data-too-large") || "");
    }
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    var target = document.getElementById("laporan");
    if (!target || !target.contains(evt.target)) { return; }
    var heading = document.getElementById("laporan-judul");
    if (heading) { heading.focus(); }
  });
})();
