// The BankID page: polls {order}.data-src every second, which also
// starts a new order when the last one timed out unscanned, and redraws
// the animated QR code, the autostart links, the sandbox app's form and
// the status line in place; shows the "start again" button when no order
// is started until the signer asks; reloads the page (which then shows
// the outcome) once the signer signed or the session is finished.
// Without it the page refreshes itself every 3 s (a <noscript> meta
// refresh).
(function () {
  "use strict";
  var root = document.getElementById("order");
  var box = document.getElementById("qr");
  var status = document.getElementById("status");
  if (!root || !box || !status) { return; }
  var src = root.getAttribute("data-src");
  var lines = {
    busy: "data-busy", interrupted: "data-interrupted", timedOut: "data-timed-out",
    refused: "data-refused", starting: "data-starting"
  };
  var busy = false;
  function show(when, on) {
    var els = root.querySelectorAll('[data-when="' + when + '"]');
    for (var i = 0; i < els.length; i++) { els[i].hidden = !on; }
  }
  function setAttr(id, name, value) {
    var el = document.getElementById(id);
    if (el && value && el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }
  function draw(d) {
    var order = d.phase === "order";
    show("order", order);
    show("held", !order && d.phase !== "starting");
    var attr = order ? (d.started ? "data-started" : "data-waiting") : (lines[d.phase] || "data-starting");
    var line = status.getAttribute(attr);
    if (status.textContent !== line) { status.textContent = line; }
    if (!order) { return; }
    if (d.svg) { box.innerHTML = d.svg; } else if (d.qrData) { box.textContent = d.qrData; }
    setAttr("autostart", "href", d.autostart);
    setAttr("universal", "href", d.universal);
    setAttr("app", "action", d.app);
  }
  function tick() {
    if (busy) { return; }
    busy = true;
    fetch(src, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        busy = false;
        if (!d) { return; }
        if (d.terminal || d.phase === "signed" || d.phase === "ended") { window.location.reload(); return; }
        draw(d);
      })
      .catch(function () { busy = false; });
  }
  setInterval(tick, 1000);
})();
