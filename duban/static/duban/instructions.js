/* The instruction page's one behaviour: drag a rectangle on a page image to mark where
   the leader's handwriting is; the four fields (fractions of the image) of that page's
   form follow, and the form saves them. Without script the fields are typed by hand. */
(function () {
  "use strict";
  function setup(canvas) {
    var editor = canvas.closest("[data-region-editor]") || document;
    var form = editor.querySelector("[data-region-form]");
    var box = canvas.querySelector("[data-region-box]");
    var img = canvas.querySelector("img");
    if (!form || !box || !img) return;
    var field = function (name) { return form.querySelector('input[name="' + name + '"]'); };
    var start = null;
    function frac(event) {
      var r = img.getBoundingClientRect();
      return {
        x: Math.min(1, Math.max(0, (event.clientX - r.left) / r.width)),
        y: Math.min(1, Math.max(0, (event.clientY - r.top) / r.height))
      };
    }
    function draw(x, y, w, h) {
      box.hidden = false;
      box.style.left = (x * 100) + "%"; box.style.top = (y * 100) + "%";
      box.style.width = (w * 100) + "%"; box.style.height = (h * 100) + "%";
    }
    function fill(a, b) {
      var x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
      var w = Math.abs(a.x - b.x), h = Math.abs(a.y - b.y);
      draw(x, y, w, h);
      field("x").value = x.toFixed(4); field("y").value = y.toFixed(4);
      field("w").value = Math.max(w, 0.01).toFixed(4); field("h").value = Math.max(h, 0.01).toFixed(4);
    }
    var x0 = parseFloat(field("x").value), y0 = parseFloat(field("y").value);
    var w0 = parseFloat(field("w").value), h0 = parseFloat(field("h").value);
    if (!isNaN(x0) && !isNaN(y0) && !isNaN(w0) && !isNaN(h0)) draw(x0, y0, w0, h0);
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      start = frac(event);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) { if (start) fill(start, frac(event)); });
    canvas.addEventListener("pointerup", function (event) {
      if (start) fill(start, frac(event));
      start = null;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-region-canvas]").forEach(setup);
  });
})();
