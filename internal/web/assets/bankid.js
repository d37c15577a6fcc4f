// The BankID page: redraws the animated QR code every second from
// {qr}.data-src and shows the session's status; reloads the page (which
// then shows the outcome) once the session is finished. Without it the
// page refreshes itself every 3 s (a <noscript> meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("qr");
  var status = document.getElementById("status");
  if (!box || !status) { return; }
  var src = box.getAttribute("data-src");
  var busy = false;
  function tick() {
    if (busy) { return; }
    busy = true;
    fetch(src, {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        busy = false;
        if (!d) { return; }
        if (d.terminal) { window.location.reload(); return; }
        var line = status.getAttribute(d.status === "IN_PROGRESS" ? "data-started" : "data-waiting");
        if (status.textContent !== line) { status.textContent = line; }
        if (d.svg) { box.innerHTML = d.svg; } else if (d.qrData) { box.textContent = d.qrData; }
      })
      .catch(function () { busy = false; });
  }
  setInterval(tick, 1000);
})();
