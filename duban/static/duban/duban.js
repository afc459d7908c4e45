/* Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can
   forbid inline script: a <select data-autosubmit> sends its form when it changes (the
   language switcher); an <a data-back> goes back one page (its href is the fallback);
   an input with data-select-on-focus selects its text (the calendar feed links). */
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.submit();
  });
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[data-back]") : null;
    if (a && window.history.length > 1) { e.preventDefault(); window.history.back(); }
  });
  document.addEventListener("focusin", function (e) {
    var t = e.target;
    if (t && t.matches && t.matches("input[data-select-on-focus]")) t.select();
  });
})();
