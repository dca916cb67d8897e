// The email editor's variable picker: a click puts the variable where the cursor was
// in the subject or the body (the last of the two that had the focus), replacing any
// selection, and announces the change as typing would, so the live preview follows.
(function () {
  "use strict";
  var form = document.getElementById("email-form");
  if (!form) return;
  var fields = form.querySelectorAll(".variable-target");
  var target = form.querySelector("textarea.variable-target") || fields[0];
  fields.forEach(function (field) {
    field.addEventListener("focus", function () { target = field; });
  });
  form.querySelectorAll("button[data-variable]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-variable");
      var start = target.selectionStart, end = target.selectionEnd;
      if (start === null || start === undefined) { start = end = target.value.length; }
      target.setRangeText(text, start, end, "end");
      target.focus();
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
