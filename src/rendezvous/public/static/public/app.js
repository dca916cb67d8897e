/* Rendezvous booking site: small enhancements on top of pages that work without it.
   - time zone: the browser's zone is detected once and remembered (cookie rendezvous_tz);
   - the time zone select submits itself;
   - after an htmx swap, focus moves to the new page's heading (screen readers);
   - inside an embed: postMessage events to the host page. */
(function () {
  "use strict";
  var TZ_COOKIE = "rendezvous_tz";

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function detectZone(root) {
    var el = root.querySelector("[data-tz-detect]");
    if (!el) return;
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone || cookie(TZ_COOKIE)) return;
    document.cookie = TZ_COOKIE + "=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    if (zone !== el.getAttribute("data-tz-detect")) {
      var url = new URL(window.location.href);
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
    }
  }

  function post(type, detail) {
    if (window.parent === window) return;
    window.parent.postMessage(Object.assign({ type: type }, detail || {}), "*");
  }

  function embedded() { return document.body && document.body.hasAttribute("data-embed"); }

  function announceBooked(root) {
    if (!embedded()) return;
    var el = root.querySelector("[data-rendezvous-booked]");
    if (!el || el.getAttribute("data-sent")) return;
    el.setAttribute("data-sent", "1");
    post("rendezvous:booked", {
      booking: el.getAttribute("data-rendezvous-booked"),
      status: el.getAttribute("data-status"),
      service: el.getAttribute("data-service"),
      start: el.getAttribute("data-start"),
      end: el.getAttribute("data-end")
    });
  }

  function resize() {
    if (embedded()) post("rendezvous:resize", { height: document.documentElement.scrollHeight });
  }

  function init(root) {
    detectZone(root);
    announceBooked(root);
    resize();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
    if (embedded() && target.matches && target.matches(".slots input[type=radio]")) {
      post("rendezvous:slot_selected", { name: target.name, value: target.value });
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    init(document);
    var heading = document.querySelector("main h1");
    if (heading) heading.focus({ preventScroll: false });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  window.addEventListener("resize", resize);
})();
