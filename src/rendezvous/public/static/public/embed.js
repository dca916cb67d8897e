/* Rendezvous embed snippet, pasted by a business into its own site:
     <script src="https://booking.example/static/public/embed.js"
             data-url="https://booking.example/en/embed/acme/"
             data-mode="inline|popup" data-label="Book now" async></script>
   Inline puts the booking page where the script is; popup adds a button that opens it
   in a dialog. The framed page sends window message events to this page:
   rendezvous:slot_selected, rendezvous:booked (and rendezvous:resize, handled here). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-url")) return;
  var url = script.getAttribute("data-url");
  var origin = new URL(url, window.location.href).origin;
  var mode = script.getAttribute("data-mode") || "inline";
  var title = script.getAttribute("data-title") || "Booking";
  var frames = [];

  function makeFrame() {
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.title = title;
    frame.setAttribute("loading", "lazy");
    frame.style.cssText = "width:100%;min-height:640px;border:0;display:block;";
    frames.push(frame);
    return frame;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || typeof event.data.type !== "string") return;
    if (event.data.type === "rendezvous:resize") {
      frames.forEach(function (frame) {
        if (frame.contentWindow === event.source && event.data.height > 0) {
          frame.style.height = Math.min(event.data.height + 20, 5000) + "px";
        }
      });
    }
  });

  if (mode === "popup") {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "rendezvous-button";
    button.textContent = script.getAttribute("data-label") || "Book now";
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-label", title);
    dialog.style.cssText = "width:min(56rem,96vw);height:90vh;padding:0;border:0;border-radius:8px;";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", script.getAttribute("data-close-label") || "Close");
    close.style.cssText = "position:absolute;right:8px;top:4px;font-size:24px;background:#fff;border:0;cursor:pointer;";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.appendChild(close);
    button.addEventListener("click", function () {
      if (!dialog.querySelector("iframe")) {
        var frame = makeFrame();
        frame.style.height = "100%";
        dialog.appendChild(frame);
      }
      dialog.showModal();
    });
    script.parentNode.insertBefore(dialog, script.nextSibling);
    script.parentNode.insertBefore(button, script.nextSibling);
  } else {
    script.parentNode.insertBefore(makeFrame(), script.nextSibling);
  }
})();
