/* Copy buttons of the back office: <button data-copy="#field" data-copied="Copied">
   copies the value of that input or textarea and then says so on the button. One
   listener on the document, so buttons in content loaded later (the calendar's booking
   pop-up) work too. */
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var target = ev.target.closest("[data-copy]");
    if (!target) return;
    var field = document.querySelector(target.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () { target.textContent = target.getAttribute("data-copied"); };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, done);
    else { document.execCommand("copy"); done(); }
  });
})();
