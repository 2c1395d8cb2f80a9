// Rights Ledger portal: hash a dropped or chosen file in the browser (WebCrypto SHA-256)
// and look its registration up. The file itself is never sent anywhere.
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("file-input");
  var status = document.getElementById("hash-status");
  if (!zone || !input) return;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = "";
    for (var i = 0; i < bytes.length; i++) out += bytes[i].toString(16).padStart(2, "0");
    return out;
  }

  function say(text) { if (status) status.textContent = text; }
  function msg(key) { return zone.getAttribute("data-msg-" + key) || ""; }

  function lookUp(file) {
    if (!file) return;
    if (!window.crypto || !window.crypto.subtle) {
      say(msg("nocrypto"));
      return;
    }
    say(msg("hashing") + " " + file.name + " (" + file.size + " B)");
    file.arrayBuffer()
      .then(function (data) { return window.crypto.subtle.digest("SHA-256", data); })
      .then(function (digest) {
        var sha = hex(digest);
        say("SHA-256 " + sha + ": " + msg("lookup"));
        window.location.assign("/works/by-hash/" + sha + "?file=" + encodeURIComponent(file.name));
      })
      .catch(function (err) { say(msg("failed") + " " + err); });
  }

  input.addEventListener("change", function () { lookUp(input.files && input.files[0]); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    var files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length) lookUp(files[0]);
  });
})();
