/* reportqa embed script: add the chat widget to any page with one tag.

     <script src="https://CHAT-SERVER/widget/embed.js" data-lang="ko" async></script>

   Options (data- attributes on the script tag):
     data-lang    "ko" or "en": the widget's first UI language (visitors can switch)
     data-target  a CSS selector: put the widget inside that element (else a floating button)
     data-height  height of the inline widget (default 560px)
     data-title   the iframe's accessible title
     data-collection  the collection (index) to ask, by its name (GET /api/v1/collections);
                  "*" asks all of them; default: the server's first
   The widget runs in an iframe served by the chat server; the portal page must be listed in the
   server's REPORTQA_FRAME_ANCESTORS. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var data = script.dataset || {};
  var src = new URL("../widget", script.src);
  if (data.lang) src.searchParams.set("lang", data.lang);
  if (data.collection) src.searchParams.set("collection", data.collection);

  function frame(floatingPanel) {
    var f = document.createElement("iframe");
    var url = new URL(src.href);
    if (floatingPanel) url.searchParams.set("embed", "floating");  /* the widget shows a close button */
    f.src = url.href;
    f.className = "reportqa-frame";
    f.title = data.title || "보고서 Q&A · Report Q&A";
    f.referrerPolicy = "strict-origin-when-cross-origin";
    f.style.border = "0";
    f.style.width = "100%";
    f.style.height = "100%";
    f.style.display = "block";
    return f;
  }

  function inline(target) {
    var box = document.createElement("div");
    box.className = "reportqa-inline";
    box.style.height = data.height || "560px";
    box.style.border = "1px solid #e5e7eb";
    box.style.borderRadius = "12px";
    box.style.overflow = "hidden";
    box.appendChild(frame());
    target.appendChild(box);
  }

  function floating() {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "reportqa-launcher";
    button.setAttribute("aria-label", data.title || "보고서 Q&A · Report Q&A");
    button.textContent = "Q&A";
    var s = button.style;
    s.position = "fixed"; s.right = "20px"; s.bottom = "20px"; s.zIndex = "2147483000";
    s.width = "56px"; s.height = "56px"; s.borderRadius = "50%"; s.border = "0";
    s.background = "#1d4ed8"; s.color = "#fff"; s.fontWeight = "700"; s.cursor = "pointer";
    s.boxShadow = "0 4px 16px rgba(0,0,0,.25)";
    var panel = document.createElement("div");
    panel.className = "reportqa-panel";
    var p = panel.style;
    p.position = "fixed"; p.right = "20px"; p.bottom = "88px"; p.zIndex = "2147483000";
    p.width = "min(400px, calc(100vw - 40px))"; p.height = "min(600px, calc(100vh - 120px))";
    p.borderRadius = "12px"; p.overflow = "hidden"; p.boxShadow = "0 8px 32px rgba(0,0,0,.25)";
    p.background = "#fff"; p.display = "none";
    var loaded = null;
    function show(open) {
      panel.style.display = open ? "block" : "none";
      button.setAttribute("aria-expanded", String(open));
      if (!open) button.focus();
    }
    button.addEventListener("click", function () {
      if (!loaded) { loaded = frame(true); panel.appendChild(loaded); }
      show(panel.style.display === "none");
    });
    /* The widget's close button and Escape (inside the frame), and Escape on this page. */
    window.addEventListener("message", function (ev) {
      if (loaded && ev.source === loaded.contentWindow && ev.data && ev.data.type === "reportqa:close") show(false);
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && panel.style.display !== "none") show(false);
    });
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }

  function start() {
    var target = data.target ? document.querySelector(data.target) : null;
    if (target) inline(target); else floating();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
