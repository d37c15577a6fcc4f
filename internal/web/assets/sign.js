// The signing page's drawn signature: a canvas (shown only when this
// script runs) whose drawing goes into the hidden signatureImage input as
// a PNG data URL when the signer presses Sign. Without JavaScript the
// page works as it is: the typed name is the signature.
(function () {
  "use strict";
  var canvas = document.getElementById("pad");
  var field = document.getElementById("signatureImage");
  if (!canvas || !field || typeof SignaturePad === "undefined") {
    return;
  }
  document.documentElement.classList.add("js");
  var pad = new SignaturePad(canvas, { penColor: "#13263f" });
  function fit() {
    // Draw at the screen's pixel density; resizing clears the canvas.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(data);
  }
  window.addEventListener("resize", fit);
  fit();
  var clear = document.getElementById("pad-clear");
  if (clear) {
    clear.addEventListener("click", function () { pad.clear(); field.value = ""; });
  }
  var form = field.form;
  form.addEventListener("submit", function (ev) {
    var sign = ev.submitter && ev.submitter.value === "sign";
    field.value = sign && !pad.isEmpty() ? pad.toDataURL("image/png") : "";
  });
})();
