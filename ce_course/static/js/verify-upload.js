// "Check a PDF" on the verify page: the form works without this file (a plain file input).
// With it, a PDF dropped anywhere on the form is put in the file input, as if it had been chosen.
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("[data-verify-drop]"), function (form) {
    var input = form.querySelector("input[type=file]");
    var help = form.querySelector(".form-text");
    if (!input || !window.DataTransfer) return;

    function over(event) {
      event.preventDefault();
      form.classList.add("verify-drop-active");
    }
    function leave() {
      form.classList.remove("verify-drop-active");
    }
    form.addEventListener("dragenter", over);
    form.addEventListener("dragover", over);
    form.addEventListener("dragleave", leave);
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      leave();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      var chosen = new DataTransfer();
      chosen.items.add(files[0]);
      input.files = chosen.files;
      if (help) help.textContent = "Ready to check " + files[0].name + ". Press “Check the PDF”.";
      form.querySelector("button[type=submit]").focus();
    });
  });
})();
