// Join page: count down to the window's opening, then reload (the server redirects
// to the meeting). Inside the window with no link yet, check again every 30 s.
(function () {
  "use strict";
  var data = document.querySelector("[data-join-opens]");
  if (!data) return;
  var opens = Number(data.getAttribute("data-join-opens"));
  // The server's clock decides; correct for a client clock that is off.
  var skew = Date.now() - Number(data.getAttribute("data-join-now"));
  var out = document.querySelector("[data-countdown]");
  if (data.getAttribute("data-join-open") === "1") {
    window.setTimeout(function () { window.location.reload(); }, 30000);
    return;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.ceil((opens - (Date.now() - skew)) / 1000);
    if (left <= 0) {
      window.location.reload();
      return;
    }
    var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
    var m = Math.floor((left % 3600) / 60), s = left % 60;
    if (out) out.textContent = (d ? d + " · " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    window.setTimeout(tick, 1000);
  }
  tick();
})();
