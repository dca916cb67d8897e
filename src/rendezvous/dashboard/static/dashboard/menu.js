// The office's header on a phone: the sections and the account links fold behind one
// "Menu" button. Without this script (or on a wider screen) they are all shown, wrapped.
(function () {
  "use strict";
  var header = document.querySelector(".office-header");
  var button = header && header.querySelector(".menu-button");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  var phone = window.matchMedia("(max-width: 40rem)");

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }

  header.classList.add("has-menu-button");
  setOpen(false);
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the open menu and gives the focus back to its button.
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && phone.matches && header.classList.contains("menu-open")) {
      setOpen(false);
      button.focus();
    }
  });
  // Turning a tablet to a phone-sized window starts folded again.
  phone.addEventListener("change", function () { setOpen(false); });
})();
