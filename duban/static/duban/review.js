/* The review page's few lines of behaviour: link proposals and their source spans both ways,
   keyboard shortcuts, keep the focus on the same proposal across htmx swaps. */
(function () {
  "use strict";
  var pending = null; // {id, advance}: where the focus goes after the next swap
  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".proposal")); }
  function flash(el) { el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash"); }
  function scrollWithin(pane, el) {
    if (pane && pane.scrollHeight > pane.clientHeight + 4) {
      pane.scrollTop += el.getBoundingClientRect().top - pane.getBoundingClientRect().top - pane.clientHeight / 3;
    } else {
      el.scrollIntoView({block: "center"});
    }
  }
  function showSpan(id) {
    var marks = document.querySelectorAll('mark[data-tasks~="' + id + '"]');
    if (!marks.length) return;
    scrollWithin(document.querySelector(".source-pane"), marks[0]);
    Array.prototype.forEach.call(marks, flash);
  }
  function showCard(id) {
    var card = document.getElementById("task-" + id);
    if (!card) return;
    scrollWithin(document.querySelector(".proposals-pane"), card);
    flash(card);
    card.focus({preventScroll: true});
  }
  function syncMarks() {
    document.querySelectorAll("mark.span").forEach(function (m) {
      var live = m.dataset.tasks.split(" ").some(function (id) {
        var c = document.getElementById("task-" + id);
        return c && c.dataset.status !== "rejected";
      });
      m.classList.toggle("off", !live);
    });
  }
  document.addEventListener("click", function (e) {
    var mark = e.target.closest("mark.span");
    if (mark) { showCard(mark.dataset.tasks.split(" ")[0]); return; }
    var link = e.target.closest("a.to-span");
    if (link) { e.preventDefault(); showSpan(link.dataset.span); return; }
    var card = e.target.closest(".proposal");
    if (card && !e.target.closest("button, input, select, textarea, summary, label, a, details")) showSpan(card.dataset.task);
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.classList && e.target.classList.contains("proposal")) showSpan(e.target.dataset.task);
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    var list = cards(), card = t.closest ? t.closest(".proposal") : null, i = card ? list.indexOf(card) : -1;
    if (e.key === "j" || e.key === "k") {
      var next = list[e.key === "j" ? Math.min(list.length - 1, i + 1) : Math.max(0, i - 1)];
      if (next) { next.focus(); e.preventDefault(); }
      return;
    }
    if (!card) return;
    if (e.key === "a" || e.key === "r") {
      var b = card.querySelector(e.key === "a" ? ".act-accept" : ".act-reject");
      if (b) { pending = {id: card.dataset.task, advance: true}; b.click(); e.preventDefault(); }
    } else if (e.key === "e") {
      var d = card.querySelector("details.edit");
      if (d) { d.open = true; d.querySelector("textarea").focus(); e.preventDefault(); }
    } else if (e.key === "x") {
      var box = card.querySelector("input.sel");
      if (box) { box.checked = !box.checked; e.preventDefault(); }
    } else if (t === card && (e.key === "Enter" || e.key === " ")) {
      showSpan(card.dataset.task); e.preventDefault();
    }
  });
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var card = e.detail.elt.closest && e.detail.elt.closest(".proposal");
    if (card && !(pending && pending.id === card.dataset.task)) pending = {id: card.dataset.task, advance: false};
  });
  // Refusals (400) and conflicts (409) come back as fragments that keep the reviewer's text.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var s = e.detail.xhr.status;
    if (s === 400 || s === 409) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    syncMarks();
    if (!pending) return;
    var card = document.getElementById("task-" + pending.id), target = card;
    if (card && pending.advance && !card.querySelector(".error")) {
      var list = cards(); target = list[list.indexOf(card) + 1] || card;
    }
    pending = null;
    if (target) {
      target.focus({preventScroll: true});
      scrollWithin(document.querySelector(".proposals-pane"), target);
    }
  });
  syncMarks();
})();
