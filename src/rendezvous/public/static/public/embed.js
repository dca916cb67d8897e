/* Rendezvous embed snippet, pasted by a business into its own site:
     <script src="https://booking.example/static/public/embed.js"
             data-url="https://booking.example/en/embed/acme/"
             data-mode="inline|popup" data-label="Book now" async></script>
   Inline puts the booking page where the script is; popup adds a button that opens it
   in a dialog. The framed page sends window message events to this page:
   rendezvous:slot_selected, rendezvous:booked (and rendezvous:resize, handled here).
   It sends them only to this page's origin, which the frame's name tells it, and only
   when the business lists this site among those that may embed its pages. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-url")) return;
  var url = script.getAttribute("data-url");
  var origin = new URL(url, window.location.href).origin;
  var mode = script.getAttribute("data-mode") || "inline";
  var title = script.getAttribute("data-title") || "Booking";
  var inline = [];

  function makeFrame() {
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.title = title;
    // The framed page reads its parent's origin from its name (it survives the
    // navigations inside the frame) and posts its events to that origin only.
    frame.name = "rendezvous-embed:" + window.location.origin;
    frame.setAttribute("loading", "lazy");
    frame.style.cssText = "width:100%;border:0;display:block;";
    return frame;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || typeof event.data.type !== "string") return;
    if (event.data.type === "rendezvous:resize") {
      var height = Math.ceil(Number(event.data.height));
      if (!(height > 0)) return;
      inline.forEach(function (frame) {
        // Exactly the content's height: anything added makes the framed page taller,
        // which it reports, and the frame grew without end.
        if (frame.contentWindow === event.source) frame.style.height = height + "px";
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
    dialog.style.cssText = "width:min(56rem,96vw);height:90vh;padding:0;border:0;border-radius:8px;overflow:hidden;";
    // A bar of its own above the frame: laid over the frame, the button covered the
    // framed page's language links.
    var box = document.createElement("div");
    box.style.cssText = "display:flex;flex-direction:column;height:100%;";
    var bar = document.createElement("div");
    bar.style.cssText = "display:flex;justify-content:flex-end;flex:none;border-bottom:1px solid #ddd;background:#fff;";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", script.getAttribute("data-close-label") || "Close");
    close.style.cssText = "min-width:44px;min-height:44px;font-size:24px;line-height:1;background:#fff;color:#222;border:0;cursor:pointer;";
    close.addEventListener("click", function () { dialog.close(); });
    bar.appendChild(close);
    box.appendChild(bar);
    dialog.appendChild(box);
    button.addEventListener("click", function () {
      if (!box.querySelector("iframe")) {
        var frame = makeFrame();
        frame.style.flex = "1";
        frame.style.minHeight = "0";
        box.appendChild(frame);
      }
      dialog.showModal();
    });
    script.parentNode.insertBefore(dialog, script.nextSibling);
    script.parentNode.insertBefore(button, script.nextSibling);
  } else {
    var frame = makeFrame();
    // Until the page reports its height.
    frame.style.height = "640px";
    inline.push(frame);
    script.parentNode.insertBefore(frame, script.nextSibling);
  }
})();
