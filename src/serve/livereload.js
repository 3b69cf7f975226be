(function () {
  "use strict";
  // kbsite serve: live reload and build-error overlay. Injected only by `kbsite serve`.
  if (!window.EventSource || window.__kbsiteLive) return;
  window.__kbsiteLive = true;
  var seen = null, box = null, es = null, wait = 500;
  function hide() {
    if (box) { box.remove(); box = null; }
  }
  function show(text) {
    if (!document.body) {
      document.addEventListener("DOMContentLoaded", function () { show(text); });
      return;
    }
    if (!box) {
      box = document.createElement("pre");
      box.id = "kbsite-error-overlay";
      box.setAttribute("role", "alert");
      box.title = "kbsite: the last build failed; this page is the last good one. Click to hide.";
      box.style.cssText = "position:fixed;z-index:2147483647;top:1rem;left:1rem;right:1rem;" +
        "max-height:80vh;overflow:auto;margin:0;padding:1rem 1.25rem;background:#1d1d1f;" +
        "color:#ffc2c2;border:2px solid #e5484d;border-radius:6px;text-align:left;" +
        "font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;" +
        "box-shadow:0 8px 32px rgba(0,0,0,.45);cursor:pointer";
      box.onclick = hide;
      document.body.appendChild(box);
    }
    // textContent: the error text is shown as text, never parsed as HTML.
    box.textContent = "kbsite: " + text;
  }
  function connect() {
    var src = new EventSource("/__kbsite/events");
    es = src;
    // `hello` carries the server's instance and build number: a different one after a
    // reconnect means the page is stale (server restarted, or rebuilt while we were away).
    src.addEventListener("hello", function (e) {
      wait = 500;
      if (seen !== null && seen !== e.data) { location.reload(); return; }
      seen = e.data;
      hide();
      if (document.hidden) disconnect();
    });
    src.addEventListener("reload", function () { location.reload(); });
    src.addEventListener("error", function (e) {
      if (typeof e.data === "string") { show(e.data); return; }
      // The connection failed: EventSource retries by itself unless it gave up.
      if (src.readyState === 2 && es === src) {
        disconnect();
        setTimeout(function () { if (!es && !document.hidden) connect(); }, wait);
        wait = Math.min(wait * 2, 5000);
      }
    });
  }
  function disconnect() {
    if (es) { es.close(); es = null; }
  }
  // Browsers allow about six HTTP/1.1 connections per host, and each open event stream holds
  // one: hidden tabs let theirs go, and on coming back `hello` tells whether to reload.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) disconnect();
    else if (!es) connect();
  });
  connect();
})();
