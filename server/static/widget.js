/* reportqa widget. Every answer and passage is put on the page with textContent or text nodes,
   never innerHTML: a passage that contains <script> or onerror= shows as text. */
(function () {
  "use strict";

  var I18N = {
    ko: {
      title: "보고서 Q&A",
      welcome: "보고서에 대해 물어보세요. 답변의 [1] 같은 번호를 누르면 출처 문단이 펼쳐집니다.",
      label: "질문",
      placeholder: "질문을 입력하세요",
      send: "보내기",
      powered: "powered by",
      note: "답변은 보고서 문단을 인용합니다",
      close: "닫기",
      viewPage: "쪽 미리보기",
      sources: "출처",
      source: "출처 문단",
      page: "쪽",
      up: "도움이 됐어요",
      down: "도움이 안 됐어요",
      commentPh: "의견을 남겨 주세요 (선택)",
      commentSend: "보내기",
      thanks: "의견 감사합니다.",
      failed: "답변을 가져오지 못했습니다.",
      rate: "요청이 너무 많습니다. 잠시 후 다시 시도하세요.",
      retryIn: "({s}초 후)",
      network: "서버에 연결할 수 없습니다.",
      flagged: "주의: 이 출처에는 지시문·링크·서식이 있습니다. 그대로 따르지 마세요."
    },
    en: {
      title: "Report Q&A",
      welcome: "Ask about the report. Click a number such as [1] in an answer to open its source passage.",
      label: "Question",
      placeholder: "Ask a question",
      send: "Send",
      powered: "powered by",
      note: "Answers quote the report",
      close: "Close",
      viewPage: "View page",
      sources: "Sources",
      source: "Source passage",
      page: "p.",
      up: "Helpful",
      down: "Not helpful",
      commentPh: "Add a comment (optional)",
      commentSend: "Send",
      thanks: "Thank you for the feedback.",
      failed: "Could not get an answer.",
      rate: "Too many requests. Please try again shortly.",
      retryIn: "(in {s} s)",
      network: "Cannot reach the server.",
      flagged: "Caution: this source contains instructions, links or markup. Do not follow them."
    }
  };
  var MARKER = /\[(\d{1,3})\]/g;
  var MAX_TURNS = 10;

  var lang = "ko";
  var serverExamples = null;  /* the collection's own example questions (its manifest), or none */
  var turns = [];  /* [{question, answer data}] kept in sessionStorage across reloads */
  var history = [];
  var busy = false;
  var seq = 0;

  function $(id) { return document.getElementById(id); }
  function t(key) { return I18N[lang][key]; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function initialLang() {
    var params = new URLSearchParams(location.search);
    var asked = (params.get("lang") || "").toLowerCase();
    if (I18N[asked]) return asked;
    try {
      var stored = window.localStorage.getItem("reportqa.lang");
      if (I18N[stored]) return stored;
    } catch (e) { /* storage blocked in third-party frames */ }
    return (navigator.language || "ko").toLowerCase().indexOf("en") === 0 ? "en" : "ko";
  }

  function setLang(next) {
    lang = I18N[next] ? next : "ko";
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll(".rq-lang-btn").forEach(function (btn) {
      btn.setAttribute("aria-pressed", String(btn.getAttribute("data-lang") === lang));
    });
    document.querySelectorAll("[data-i18n-aria]").forEach(function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-i18n-aria")));
      node.setAttribute("title", t(node.getAttribute("data-i18n-aria")));
    });
    var examples = $("rq-examples");
    examples.textContent = "";
    (serverExamples || []).forEach(function (q) {
      var b = el("button", "rq-example", q);
      b.type = "button";
      b.addEventListener("click", function () { ask(q); });
      examples.appendChild(b);
    });
    try { window.localStorage.setItem("reportqa.lang", lang); } catch (e) { /* ignore */ }
  }

  function scrollDown() {
    var log = $("rq-log");
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(cls, text) {
    var msg = el("div", "rq-msg " + cls);
    var body = el("div", "rq-text", text);
    msg.appendChild(body);
    $("rq-log").appendChild(msg);
    scrollDown();
    return msg;
  }

  /* The passage with its quoted sentences marked: text nodes and <mark> elements only. */
  function passageText(citation) {
    var box = el("div", "rq-passage-text");
    var text = String(citation.text || "");
    var spans = (citation.highlights || []).slice().sort(function (a, b) { return a[0] - b[0]; });
    var pos = 0;
    spans.forEach(function (span) {
      var s = span[0], e = span[1];
      if (s < pos || e > text.length || s >= e) return;
      box.appendChild(document.createTextNode(text.slice(pos, s)));
      box.appendChild(el("mark", null, text.slice(s, e)));
      pos = e;
    });
    box.appendChild(document.createTextNode(text.slice(pos)));
    return box;
  }

  function renderAnswer(msg, data) {
    var id = "rq-a" + (++seq);
    var body = msg.querySelector(".rq-text");
    body.textContent = "";
    msg.classList.remove("rq-pending");
    var byN = {};
    (data.citations || []).forEach(function (c) { byN[c.n] = c; });
    var passages = el("div", "rq-passages");
    var text = String(data.answer || "");
    var pos = 0;
    var match;
    MARKER.lastIndex = 0;
    while ((match = MARKER.exec(text)) !== null) {
      var n = Number(match[1]);
      if (!byN[n]) continue;
      body.appendChild(document.createTextNode(text.slice(pos, match.index)));
      body.appendChild(citeButton(id, n));
      pos = match.index + match[0].length;
    }
    body.appendChild(document.createTextNode(text.slice(pos)));
    (data.citations || []).forEach(function (c) {
      var card = el("div", "rq-passage");
      card.id = id + "-src-" + c.n;
      card.hidden = true;
      card.appendChild(el("div", "rq-passage-title", "[" + c.n + "] " + (c.title || c.document)));
      var meta = [c.document];
      if (c.page !== null && c.page !== undefined) meta.push(t("page") === "쪽" ? c.page + "쪽" : "p. " + c.page);
      if (c.heading) meta.push(c.heading);
      card.appendChild(el("div", "rq-passage-meta", meta.join(" · ")));
      if (c.flags && c.flags.length) {
        var badge = el("div", "rq-flag", "⚠ " + t("flagged"));
        badge.setAttribute("data-flags", c.flags.join(" "));
        card.appendChild(badge);
      }
      card.appendChild(passageText(c));
      if (typeof c.preview === "string" && c.preview.indexOf("/api/v1/collections/") === 0) {
        var link = el("a", "rq-page-link",
          lang === "ko" ? c.page + t("viewPage") : t("viewPage") + " " + c.page);
        link.setAttribute("href", c.preview);
        link.setAttribute("target", "_blank");
        link.setAttribute("rel", "noopener");
        card.appendChild(link);
      }
      passages.appendChild(card);
    });
    msg.appendChild(passages);
    msg.appendChild(feedbackBar(data));
    scrollDown();
  }

  function citeButton(id, n) {
    var b = el("button", "rq-cite", "[" + n + "]");
    b.type = "button";
    b.setAttribute("aria-expanded", "false");
    b.setAttribute("aria-controls", id + "-src-" + n);
    b.setAttribute("data-n", String(n));
    b.addEventListener("click", function () {
      var card = document.getElementById(id + "-src-" + n);
      if (!card) return;
      var open = card.hidden;
      card.hidden = !open;
      document.querySelectorAll('[aria-controls="' + card.id + '"]').forEach(function (x) {
        x.setAttribute("aria-expanded", String(open));
      });
      if (open) card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
    return b;
  }

  function feedbackBar(data) {
    var bar = el("div", "rq-actions");
    var up = thumb("up");
    var down = thumb("down");
    var comment = el("div", "rq-comment");
    comment.hidden = true;
    var input = el("input");
    input.type = "text";
    input.maxLength = 1000;
    input.setAttribute("data-i18n-placeholder", "commentPh");
    input.placeholder = t("commentPh");
    var send = el("button", null, t("commentSend"));
    send.type = "button";
    send.setAttribute("data-i18n", "commentSend");
    comment.appendChild(input);
    comment.appendChild(send);
    var thanks = el("span", "rq-thanks");
    var rating = null;

    function post(extra) {
      var body = { answer_id: data.id, rating: rating, comment: extra || "" };
      return fetch("widget/api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      }).then(function (r) {
        thanks.textContent = r.ok ? t("thanks") : t("failed");
      }).catch(function () { thanks.textContent = t("network"); });
    }

    function choose(which, btn, other) {
      rating = which;
      btn.setAttribute("aria-pressed", "true");
      other.setAttribute("aria-pressed", "false");
      comment.hidden = false;
      post("");
    }
    up.addEventListener("click", function () { choose("up", up, down); });
    down.addEventListener("click", function () { choose("down", down, up); });
    function sendComment() {
      var text = input.value.trim();
      if (!text || !rating) return;
      post(text).then(function () { comment.hidden = true; });
    }
    send.addEventListener("click", sendComment);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); sendComment(); }
    });
    bar.appendChild(up);
    bar.appendChild(down);
    bar.appendChild(thanks);
    bar.appendChild(comment);
    return bar;
  }

  /* Thumb icon (Material "thumb_up" path, Apache-2.0) drawn as SVG: no emoji font needed. */
  var THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06" +
    "L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05" +
    "c.09-.23.14-.47.14-.73v-2z";

  function thumb(which) {
    var b = el("button", "rq-thumb rq-thumb-" + which);
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    b.appendChild(svg);
    b.type = "button";
    b.setAttribute("aria-pressed", "false");
    b.setAttribute("data-i18n-aria", which);
    b.setAttribute("aria-label", t(which));
    b.title = t(which);
    return b;
  }

  function showError(msg, text) {
    msg.classList.remove("rq-pending");
    msg.classList.add("rq-error");
    msg.querySelector(".rq-text").textContent = text;
  }

  /* Server-Sent Events over fetch: "event: x\ndata: {...}\n\n" frames. */
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) return;
        buffer += decoder.decode(step.value, { stream: true });
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          var frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          var name = "message", data = "";
          frame.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
          });
          if (data) onEvent(name, JSON.parse(data));
        }
        return pump();
      });
    }
    return pump();
  }

  /* The collection named by the embedding page (data-collection → ?collection=), if any. */
  function collection() {
    var name = new URLSearchParams(window.location.search).get("collection");
    return name && name.length <= 64 ? name : null;
  }

  function askBody(question) {
    var body = { question: question, history: history.slice(-2 * MAX_TURNS) };
    var name = collection();
    if (name) body.collection = name;
    return body;
  }

  function storageKey() { return "reportqa.chat." + (collection() || ""); }

  function saveTurns() {
    try {
      turns = turns.slice(-MAX_TURNS);
      window.sessionStorage.setItem(storageKey(), JSON.stringify(turns));
    } catch (e) { /* storage blocked or full: the conversation is not kept */ }
  }

  /* The conversation of this tab (sessionStorage), shown again after a reload. */
  function restoreTurns() {
    var saved = [];
    try { saved = JSON.parse(window.sessionStorage.getItem(storageKey()) || "[]"); } catch (e) { saved = []; }
    if (!Array.isArray(saved)) return;
    saved.slice(-MAX_TURNS).forEach(function (turn) {
      if (!turn || typeof turn.question !== "string" || !turn.data) return;
      addMessage("rq-user", turn.question);
      renderAnswer(addMessage("rq-bot", ""), turn.data);
      history.push({ role: "user", content: turn.question });
      history.push({ role: "assistant", content: String(turn.data.answer || "") });
      turns.push(turn);
    });
  }

  /* Close: the embedding page (embed.js) hides the widget's panel. */
  function closeWidget() {
    if (window.parent && window.parent !== window) {
      window.parent.postMessage({ type: "reportqa:close" }, "*");
    }
  }

  function loadExamples() {
    var body = {};
    var name = collection();
    if (name) body.collection = name;
    fetch("widget/api/examples", {
      method: "POST",  /* a POST carries Origin: the widget's keyless rule needs it */
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : { examples: [] }; })
      .then(function (data) {
        serverExamples = Array.isArray(data.examples) ? data.examples.slice(0, 4) : [];
        setLang(lang);
      })
      .catch(function () { serverExamples = []; });
  }

  function ask(question) {
    question = (question || "").trim();
    if (!question || busy) return;
    busy = true;
    $("rq-send").disabled = true;
    addMessage("rq-user", question);
    var msg = addMessage("rq-bot rq-pending", "");
    var body = msg.querySelector(".rq-text");
    var got = false;
    fetch("widget/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify(askBody(question))
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (err) {
          var retry = Number(response.headers.get("Retry-After") || 0);
          var text = response.status === 429
            ? t("rate") + (retry > 0 ? " " + t("retryIn").replace("{s}", String(Math.ceil(retry))) : "")
            : (err && err.error && err.error.message) || t("failed");
          showError(msg, text);
        });
      }
      return readEvents(response, function (name, data) {
        if (name === "delta") {
          body.appendChild(document.createTextNode(data.text || ""));
          scrollDown();
        } else if (name === "answer") {
          got = true;
          renderAnswer(msg, data);
          history.push({ role: "user", content: question });
          history.push({ role: "assistant", content: String(data.answer || "") });
          turns.push({ question: question, data: data });
          saveTurns();
        } else if (name === "error") {
          got = true;
          showError(msg, (data.error && data.error.message) || t("failed"));
        }
      }).then(function () { if (!got) showError(msg, t("failed")); });
    }).catch(function () {
      showError(msg, t("network"));
    }).then(function () {
      busy = false;
      $("rq-send").disabled = false;
      $("rq-input").focus();
    });
  }

  function autosize(area) {
    area.style.height = "auto";
    area.style.height = Math.min(area.scrollHeight, 96) + "px";
  }

  document.addEventListener("DOMContentLoaded", function () {
    setLang(initialLang());
    restoreTurns();
    loadExamples();
    var close = $("rq-close");
    /* only a floating panel (embed.js) can be closed; inline or opened directly: no button */
    if (new URLSearchParams(location.search).get("embed") !== "floating") close.hidden = true;
    close.addEventListener("click", closeWidget);
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && !ev.isComposing) closeWidget();
    });
    document.querySelectorAll(".rq-lang-btn").forEach(function (btn) {
      btn.addEventListener("click", function () { setLang(btn.getAttribute("data-lang")); });
    });
    var input = $("rq-input");
    $("rq-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = input.value;
      input.value = "";
      autosize(input);
      ask(q);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        $("rq-form").requestSubmit();
      }
    });
    input.addEventListener("input", function () { autosize(input); });
  });
})();
