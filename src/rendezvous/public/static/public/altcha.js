/* The ALTCHA widget on the booking form (companies that switch the spam check on).
   - loads the widget's "external" build: no inline styles, no blob: workers, so the
     pages keep their strict CSP; the PBKDF2 worker is our own static file;
   - gives the widget our translated texts (data-strings, in the page's language);
   - a form sent while the check still runs waits for it, then goes on.
   The module runs once per document; with htmx swaps, new widgets are set up on
   htmx:load. Without JavaScript nothing runs and the server explains why. */
import "../vendor/altcha/altcha.min.js";

const registry = globalThis.$altcha;

function setUp(widget) {
  if (widget.dataset.ready) return;
  widget.dataset.ready = "1";
  const worker = widget.dataset.worker;
  if (worker && !registry.algorithms.has("PBKDF2/SHA-256")) {
    registry.algorithms.set("PBKDF2/SHA-256", () => new Worker(worker));
  }
  const language = widget.getAttribute("language") || "en";
  try {
    const strings = JSON.parse(widget.dataset.strings || "{}");
    registry.i18n.set(language, Object.assign({}, registry.i18n.get("en"), strings));
  } catch (error) {
    /* keep the widget's English texts */
  }
}

function setUpAll(root) {
  (root.querySelectorAll ? root : document).querySelectorAll("altcha-widget").forEach(setUp);
}

// A submit while the widget is not verified yet: wait for it, then submit again.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const widget = form.querySelector && form.querySelector("altcha-widget");
    if (!widget || typeof widget.getState !== "function") return;
    const state = widget.getState();
    if (state === "verified" || form.dataset.altchaPass) {
      delete form.dataset.altchaPass;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (form.dataset.altchaWaiting) return; // a second click while the check runs
    form.dataset.altchaWaiting = "1";
    const submitter = event.submitter;
    const done = () => {
      widget.removeEventListener("statechange", onChange);
      delete form.dataset.altchaWaiting;
      // On failure too: the server then answers with a clear error.
      form.dataset.altchaPass = "1";
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    };
    const onChange = (change) => {
      const next = change.detail && change.detail.state;
      if (next === "verified" || next === "error" || next === "expired") done();
    };
    widget.addEventListener("statechange", onChange);
    if (state !== "verifying") widget.verify();
  },
  true,
);

setUpAll(document);
document.addEventListener("htmx:load", (event) => setUpAll(event.target));
