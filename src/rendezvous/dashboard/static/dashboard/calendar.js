/* The back office calendar: EventCalendar fed by the staff API's calendar feed
   (GET .../manage/calendar), one column per staff member or room. Clicking a free time
   opens the booking dialog, clicking a booking its pop-up, dragging one moves it (the
   server decides; a refusal puts it back with the reason). The feed is asked again
   every few seconds while the page is visible, so bookings made elsewhere appear. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("office-config").textContent);
  var labels = config.labels;
  var element = document.getElementById("calendar");
  var dialog = document.getElementById("office-dialog");
  var body = document.getElementById("dialog-body");
  var status = document.getElementById("calendar-status");
  var filters = document.getElementById("calendar-filters");
  var POLL_MS = 5000;

  function csrf() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // The feed's times carry the company's offset; the calendar shows them as the
  // company's wall clock whatever the browser's zone (floating times).
  function floating(iso) {
    return iso.slice(0, 19);
  }
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  // A date the calendar gives back, as the company's wall time "YYYY-MM-DDTHH:MM".
  function wall(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function day(date) {
    return wall(date).slice(0, 10);
  }

  function filterParams() {
    var params = new URLSearchParams();
    if (!filters) return params;
    new FormData(filters).forEach(function (value, key) {
      if (value) params.set(key, value);
    });
    return params;
  }

  // One request per range answers both the columns and the events.
  var pending = null;
  function feed(start, end) {
    var last = new Date(end.getTime() - 1);
    var params = filterParams();
    params.set("from", day(start));
    params.set("to", day(last));
    var url = config.feed + "?" + params.toString();
    if (pending && pending.url === url && Date.now() - pending.at < 1000) return pending.promise;
    var promise = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("feed " + response.status);
        return response.json();
      });
    pending = { url: url, at: Date.now(), promise: promise };
    return promise;
  }
  // After a change the calendar asks again, never for the answer of the request that
  // may have left just before it (a quick hand books within a second of arriving).
  function refresh() {
    pending = null;
    calendar.refetchEvents();
  }

  function tags(event) {
    var out = [];
    if (event.online) out.push(["online", "▶", labels.online]);
    if (event.status === "requested") out.push(["request", "?", labels.request]);
    if (event.payment_status === "pending") out.push(["unpaid", "€", labels.unpaid]);
    if (event.status === "no_show") out.push(["no-show", "✕", labels.noShow]);
    return out;
  }

  function toCalendar(answer) {
    var events = [];
    answer.hours.forEach(function (h) {
      events.push({
        start: floating(h.start), end: floating(h.end), resourceIds: [h.resource_id],
        display: "background", classNames: ["working-hours"]
      });
    });
    answer.events.forEach(function (e) {
      var background = e.kind === "time_off" || e.kind === "exception";
      var classes = ["kind-" + e.kind];
      if (e.status) classes.push("status-" + e.status);
      if (e.payment_status === "pending") classes.push("unpaid");
      if (e.online) classes.push("online");
      events.push({
        id: e.kind + ":" + e.id,
        start: floating(e.start),
        end: floating(e.end),
        resourceIds: e.resource_ids,
        title: e.title,
        display: background ? "background" : "auto",
        classNames: classes,
        editable: e.kind === "booking" && (e.status === "confirmed" || e.status === "requested"),
        extendedProps: e
      });
    });
    return events;
  }

  function content(info) {
    var e = info.event.extendedProps;
    if (!e || !e.kind) return "";
    var wrap = document.createElement("span");
    wrap.className = "event-inner";
    var time = document.createElement("span");
    time.className = "event-time";
    time.textContent = info.timeText || "";
    wrap.appendChild(time);
    tags(e).forEach(function (t) {
      var tag = document.createElement("span");
      tag.className = "tag " + t[0];
      tag.setAttribute("title", t[2]);
      tag.textContent = t[1];
      var name = document.createElement("span");
      name.className = "visually-hidden";
      name.textContent = t[2];
      wrap.appendChild(tag);
      wrap.appendChild(name);
    });
    var title = document.createElement("span");
    title.className = "event-title";
    var text = e.title;
    if (e.kind === "session" && e.capacity != null) {
      text += " · " + e.seats_taken + "/" + e.capacity + " " + labels.seats;
    }
    if (e.kind === "time_off" && !text) text = labels.timeOff;
    if (e.kind === "exception" && !text) text = labels.closed;
    title.textContent = text;
    wrap.appendChild(title);
    return { domNodes: [wrap] };
  }

  function translated(previous, next) {
    return function (texts) {
      texts.today = labels.today;
      texts.resourceTimeGridDay = labels.day;
      texts.resourceTimeGridWeek = labels.week;
      texts.prev = previous;
      texts.next = next;
      return texts;
    };
  }

  // The company's offset from UTC right now ("+01:00"), for the calendar's own clock:
  // the "now" line and "today" follow the company's zone, not the browser's. The
  // events are floating wall times, which an offset leaves as they are.
  function companyOffset() {
    try {
      var name = new Intl.DateTimeFormat("en-US", { timeZone: config.timezone, timeZoneName: "longOffset" })
        .formatToParts(new Date())
        .filter(function (part) { return part.type === "timeZoneName"; })[0].value;
      var match = /^GMT([+-]\d\d:\d\d)$/.exec(name);
      return match ? match[1] : "UTC";
    } catch (e) {
      return "local";
    }
  }

  var columnsKind = "staff";
  var columns = [];
  var calendar = EventCalendar.create(element, {
    view: window.matchMedia("(max-width: 40rem)").matches ? "resourceTimeGridDay" : "resourceTimeGridDay",
    date: config.today,
    timeZone: companyOffset(),
    locale: config.locale,
    firstDay: 1,
    height: "auto",
    nowIndicator: true,
    selectable: false,
    editable: true,
    eventDurationEditable: false,
    // A week of several columns stays readable: the grid scrolls sideways instead.
    columnWidth: "minmax(7.5em, 1fr)",
    slotDuration: { minutes: config.step },
    snapDuration: { minutes: config.step },
    slotMinTime: "07:00",
    slotMaxTime: "21:00",
    scrollTime: "08:00",
    allDaySlot: false,
    datesAboveResources: true,
    refetchResourcesOnNavigate: true,
    headerToolbar: { start: "prev,today,next", center: "title", end: "resourceTimeGridDay,resourceTimeGridWeek" },
    // Every label the calendar shows or reads out, in the page's language (each view
    // sets its own previous/next labels, so each view gets ours).
    buttonText: translated(labels.previousDay, labels.nextDay),
    views: {
      resourceTimeGridDay: { buttonText: translated(labels.previousDay, labels.nextDay) },
      resourceTimeGridWeek: { buttonText: translated(labels.previousWeek, labels.nextWeek) }
    },
    resources: function (info, success, failure) {
      feed(info.start, info.end).then(function (answer) {
        columnsKind = answer.resources.length && answer.resources[0].kind;
        columns = answer.resources;
        // With one column the calendar shows no column heading: say whose it is.
        var single = document.getElementById("single-column");
        single.hidden = columns.length !== 1;
        single.textContent = columns.length === 1 ? columns[0].title : "";
        success(answer.resources.map(function (r) { return { id: r.id, title: r.title }; }));
      }, failure);
    },
    eventSources: [{
      events: function (info, success, failure) {
        feed(info.start, info.end).then(function (answer) { success(toCalendar(answer)); }, failure);
      }
    }],
    eventContent: content,
    eventClick: function (info) {
      var e = info.event.extendedProps;
      if (e && e.kind === "booking") openBooking(e.id);
    },
    dateClick: function (info) {
      if (!info.resource || columnsKind !== "staff") return;
      openNew(info.resource.id, wall(info.date));
    },
    eventDrop: function (info) {
      var e = info.event.extendedProps;
      var form = new FormData();
      form.set("start", wall(info.event.start));
      if (info.newResource && columnsKind !== "staff") {
        // Room columns: a drop in another room is not a change of staff member.
        info.revert();
        announce(labels.moveRefused + " " + labels.keepsRoom, true);
        return;
      }
      // A drop in a colleague's column gives them the booking (the server checks the
      // role, their services and their hours).
      if (info.newResource) form.set("staff", info.newResource.id);
      fetch(config.moveUrl.replace("00000000-0000-0000-0000-000000000000", e.id), {
        method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf() }
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) {
            info.revert();
            announce(labels.moveRefused + " " + (answer.message || ""), true);
          } else {
            announce("");
            refresh();
          }
        });
      }, function () { info.revert(); });
    },
    eventDidMount: function (info) {
      var e = info.event.extendedProps;
      if (e && e.kind === "booking") {
        info.el.setAttribute("tabindex", "0");
        info.el.setAttribute("role", "button");
        info.el.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openBooking(e.id); }
        });
      }
    }
  });

  // EventCalendar marks its grid up as an ARIA table whose rows do not hold cells the
  // way the table pattern requires, and its time axis as a landmark inside the page's
  // main landmark. Screen readers are better served by the plain structure, the column
  // headers' text and the events (buttons, below), so those roles are taken off.
  var LOOSE_ROLES = ["table", "row", "rowgroup", "columnheader", "cell"];
  function plainStructure() {
    // Only what needs changing is touched: the observer sees every attribute written.
    element.querySelectorAll("[role]").forEach(function (node) {
      if (LOOSE_ROLES.indexOf(node.getAttribute("role")) >= 0) node.removeAttribute("role");
    });
    element.querySelectorAll("[aria-colindex], [aria-rowindex], [aria-colspan]").forEach(function (node) {
      ["aria-colindex", "aria-rowindex", "aria-colspan"].forEach(function (name) { node.removeAttribute(name); });
    });
    element.querySelectorAll("aside:not([role=presentation])").forEach(function (node) {
      node.setAttribute("role", "presentation");
    });
  }
  new MutationObserver(plainStructure).observe(element, { childList: true, subtree: true, attributes: true, attributeFilter: ["role", "aria-colindex", "aria-rowindex", "aria-colspan"] });
  plainStructure();

  // The keyboard's way around the grid: with the calendar focused, the arrow keys move
  // a marked cell (left/right: columns, up/down: the company's time step), the status
  // line says which column and time it is, and Enter opens the booking dialog there,
  // as a click would. Tab still reaches the bookings themselves (Enter opens them).
  var cursor = { col: 0, row: -1 };
  var marker = document.createElement("div");
  marker.className = "grid-cursor";
  marker.hidden = true;
  element.appendChild(marker);
  function cells() {
    return {
      heads: element.querySelectorAll(".ec-col-head"),
      rows: element.querySelectorAll(".ec-sidebar .ec-slot")
    };
  }
  function showCursor() {
    var grid = cells();
    if (!grid.heads.length || !grid.rows.length) return null;
    cursor.col = Math.max(0, Math.min(cursor.col, grid.heads.length - 1));
    if (cursor.row < 0) cursor.row = Math.min(grid.rows.length - 1, 4);
    cursor.row = Math.max(0, Math.min(cursor.row, grid.rows.length - 1));
    var head = grid.heads[cursor.col].getBoundingClientRect();
    var row = grid.rows[cursor.row];
    row.scrollIntoView({ block: "nearest" });
    var slot = row.getBoundingClientRect();
    var origin = element.getBoundingClientRect();
    marker.style.left = (head.left - origin.left) + "px";
    marker.style.top = (slot.top - origin.top) + "px";
    marker.style.width = head.width + "px";
    marker.style.height = slot.height + "px";
    marker.hidden = false;
    var info = calendar.dateFromPoint(head.left + head.width / 2, slot.top + slot.height / 2);
    if (info && info.resource) {
      status.textContent = info.resource.title + ", " +
        info.date.toLocaleString(config.locale, { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
    }
    return info;
  }
  element.addEventListener("keydown", function (ev) {
    if (ev.target !== element) return;  // a booking has the focus: it handles its keys
    var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[ev.key]) {
      ev.preventDefault();
      cursor.col += moves[ev.key][0];
      cursor.row += moves[ev.key][1];
      showCursor();
    } else if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      var info = showCursor();
      if (info && info.resource && columnsKind === "staff") openNew(info.resource.id, wall(info.date));
    }
  });
  element.addEventListener("focus", function () { showCursor(); });
  element.addEventListener("blur", function () { marker.hidden = true; });

  function announce(text, alert) {
    var box = document.getElementById("calendar-alert");
    if (!box) {
      box = document.createElement("p");
      box.id = "calendar-alert";
      box.className = "alert";
      box.setAttribute("role", "alert");
      element.parentNode.insertBefore(box, element);
    }
    box.textContent = text;
    box.hidden = !text || !alert;
    status.textContent = text;
  }

  function show(html) {
    body.innerHTML = html;
    var countdownBox = body.querySelector("[data-countdown]");
    if (countdownBox) countdownBox.setAttribute("data-shown", Date.now());
    if (window.htmx) window.htmx.process(body);
    if (!dialog.open) dialog.showModal();
    var first = body.querySelector("input:not([type=hidden]), select, button:not(.close)");
    if (first) first.focus();
  }
  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.text().then(function (html) { if (r.ok) show(html); else announce(html, true); });
    });
  }
  function openNew(staffId, start) {
    load(config.newBooking + "?" + new URLSearchParams({ staff: staffId, start: start }).toString());
  }
  function openBooking(id) {
    load(config.bookingUrl.replace("00000000-0000-0000-0000-000000000000", id));
  }

  document.getElementById("new-booking").addEventListener("click", function () {
    // The keyboard's way to book: the first staff column shown, the next full hour
    // (once the columns have arrived, if the button is quicker than the feed).
    var start = new Date();
    start.setMinutes(0, 0, 0);
    start.setHours(start.getHours() + 1);
    var known = columns.length || !pending ? Promise.resolve() : pending.promise;
    known.then(function () {
      var first = columnsKind === "staff" ? columns[0] : null;
      if (first) openNew(first.id, wall(start));
    });
  });

  body.addEventListener("click", function (ev) {
    var target = ev.target.closest("[data-close], [data-customer], [data-open-booking]");
    if (!target) return;
    if (target.hasAttribute("data-close")) dialog.close();
    if (target.hasAttribute("data-open-booking")) openBooking(target.getAttribute("data-open-booking"));
    if (target.hasAttribute("data-customer")) {
      ["first", "last", "email", "phone"].forEach(function (name) {
        var field = body.querySelector("#b-" + name);
        if (field) field.value = target.getAttribute("data-" + name);
      });
      body.querySelector("#customer-results").textContent = "";
      body.querySelector("#b-service").focus();
    }
  });
  // "By video" follows the service picked, until staff change it themselves.
  body.addEventListener("change", function (ev) {
    if (ev.target.id === "b-online") ev.target.removeAttribute("data-follow-service");
    if (ev.target.id === "b-service") followService();
  });
  function followService() {
    var online = body.querySelector("#b-online[data-follow-service]");
    var service = body.querySelector("#b-service");
    if (online && service && service.selectedOptions[0]) {
      online.checked = service.selectedOptions[0].getAttribute("data-online") === "1";
    }
  }
  body.addEventListener("htmx:afterSwap", followService);
  new MutationObserver(followService).observe(body, { childList: true });
  document.body.addEventListener("office:changed", refresh);
  if (filters) {
    filters.addEventListener("change", function () {
      pending = null;
      calendar.refetchResources();
      calendar.refetchEvents();
    });
  }

  setInterval(function () {
    if (document.visibilityState === "visible" && !dialog.open) refresh();
    // The offset changes twice a year (summer time); the calendar follows it.
    var offset = companyOffset();
    if (offset !== calendar.getOption("timeZone")) calendar.setOption("timeZone", offset);
  }, POLL_MS);

  // "Start meeting opens in ...": a live count in the pop-up, which opens the pop-up
  // again (now with the button) when the join window opens.
  var reopened = {};
  function countdown() {
    var box = body.querySelector("[data-countdown]");
    if (!box || !dialog.open) return;
    // The seconds the server counted when it sent the pop-up, less those since: the
    // computer's own clock may be off, its passing time is not.
    var left = Number(box.getAttribute("data-countdown")) -
      Math.round((Date.now() - Number(box.getAttribute("data-shown"))) / 1000);
    if (left <= 0) {
      // Once per booking: should the server still say "not yet" (a second's rounding),
      // the pop-up must not reload forever.
      var again = box.getAttribute("data-booking");
      box.removeAttribute("data-countdown");
      if (again && !reopened[again]) {
        reopened[again] = true;
        openBooking(again);
      }
      return;
    }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), sec = left % 60;
    // A clock for the last day; further ahead the sentence says enough.
    var text = h >= 24 ? "" : (h ? h + ":" + pad(m) : m) + ":" + pad(sec);
    var clock = box.querySelector("[data-countdown-clock]");
    if (clock) clock.textContent = text;
  }
  setInterval(countdown, 1000);
})();
