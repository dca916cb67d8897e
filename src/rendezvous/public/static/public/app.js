/* Rendezvous booking site: small enhancements on top of pages that work without it.
   - time zone: the browser's zone is detected once and remembered (cookie rendezvous_tz);
   - the time zone select submits itself, and a search box narrows it;
   - after an htmx swap, focus moves to the new page's heading (screen readers);
   - inside an embed: postMessage events to the host page (to its origin only). */
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

  /* Some 420 zones: a search box narrows the select to the ones whose name, city or
     offset holds the words typed ("kolk", "utc+5", "new york"). Without JavaScript the
     box stays hidden and the select's own type-ahead finds a city by its first letters. */
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/_/g, " ").toLowerCase();
  }

  function filterZones(input) {
    var select = document.getElementById(input.getAttribute("aria-controls"));
    if (!select) return;
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var groups = select.querySelectorAll("optgroup");
    Array.prototype.forEach.call(select.options, function (option) {
      var text = fold(option.textContent + " " + option.value);
      option.hidden = !option.selected && !words.every(function (w) { return text.indexOf(w) !== -1; });
    });
    Array.prototype.forEach.call(groups, function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
  }

  function zoneSearch(root) {
    var box = root.querySelector("[data-zone-search]");
    if (!box || !box.hidden) return;
    box.hidden = false;
    var input = box.querySelector("input");
    input.addEventListener("input", function () { filterZones(input); });
  }

  /* The embedding page's origin, or null: the snippet names the frame
     "rendezvous-embed:<its origin>", and that origin must be one the company lets frame
     its pages (data-embed-origins: the CSP frame-ancestors sources of this page). Events
     carry the booking's id and times, so they go to that origin only, never to "*". */
  var NAME_PREFIX = "rendezvous-embed:";
  var DEFAULT_PORTS = { "http:": "80", "https:": "443" };

  function parseOrigin(value) {
    var m = /^(https?:)\/\/(\*\.)?([a-z0-9.-]+)(?::([0-9]{1,5}))?$/i.exec(value || "");
    if (!m) return null;
    var scheme = m[1].toLowerCase();
    return { scheme: scheme, wildcard: !!m[2], host: m[3].toLowerCase(), port: m[4] || DEFAULT_PORTS[scheme] };
  }

  function sourceAllows(source, claimed) {
    if (source === "*") return true;
    if (source === "'self'") return claimed === window.location.origin;
    var s = parseOrigin(source), c = parseOrigin(claimed);
    if (!s || !c || c.wildcard || s.scheme !== c.scheme || s.port !== c.port) return false;
    if (!s.wildcard) return s.host === c.host;
    return c.host.length > s.host.length && c.host.slice(-s.host.length - 1) === "." + s.host;
  }

  function parentOrigin() {
    if (window.parent === window || !document.body) return null;
    var name = window.name || "";
    if (name.indexOf(NAME_PREFIX) !== 0) return null;
    var claimed = name.slice(NAME_PREFIX.length);
    if (!parseOrigin(claimed) || parseOrigin(claimed).wildcard) return null;
    var sources = (document.body.getAttribute("data-embed-origins") || "").split(/\s+/);
    for (var i = 0; i < sources.length; i++) {
      if (sourceAllows(sources[i], claimed)) return claimed;
    }
    return null;
  }

  function post(type, detail) {
    var target = parentOrigin();
    if (!target) return;
    window.parent.postMessage(Object.assign({ type: type }, detail || {}), target);
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

  /* The content's height, not the document's: the document is at least as tall as
     the frame, so reporting it made the host page grow the frame without end. The body
     (a block formatting context in embeds, app.css) holds exactly the content. Posted
     only when it changes. */
  var reportedHeight = 0;
  var observer = null;

  function resize() {
    if (!embedded()) return;
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === reportedHeight) return;
    reportedHeight = height;
    post("rendezvous:resize", { height: height });
  }

  function watchSize() {
    if (!embedded() || observer || typeof ResizeObserver === "undefined") return;
    observer = new ResizeObserver(resize);
    observer.observe(document.body);
  }

  function init(root) {
    detectZone(root);
    zoneSearch(root);
    announceBooked(root);
    watchSize();
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
  // Without ResizeObserver: at least follow the frame's width (text reflows).
  if (typeof ResizeObserver === "undefined") window.addEventListener("resize", resize);
})();
