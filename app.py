"""The chat UI (Gradio Blocks) over the answer pipeline. ``python app.py`` serves it.

On first run the bundled sample corpus is ingested into the default index, then the chat is
served on 127.0.0.1:7860. Building the UI loads no model: the pipeline loads on the first question.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from fastapi import FastAPI

from answer.pipeline import QAPipeline
from index.store import read_manifest
from reportqa.entry import configure_logging
from reportqa.errors import ReportQAError
from reportqa.settings import Settings
from reportqa.types import Answer, Citation
from server.collections import (
    ALL,
    Collection,
    Collections,
    UnknownCollectionError,
    build_collections,
    file_name,
    preview_path,
)
from server.feedback import FeedbackStore, Rating, RecentAnswers, answer_settings
from server.fused import FusedPipeline
from server.security import PreviewSigner
from server.served_index import ServedIndex

log = logging.getLogger(__name__)

ALL_LABEL = "전체 · All collections"
THANKS_NOTE = "의견 감사합니다 · Thank you for the feedback."
COMMENT_AFTER_NOTE = (
    "의견을 덧붙이려면 아래에 적고 '의견 보내기'를 누르세요 · "
    "To add a comment, type it below and press Send comment."
)
UNFINISHED_NOTE = "답변이 끝난 뒤에 평가해 주세요 · Rate the answer once it is finished."
SEARCHING = "검색 중… · Searching…"
STOPPED = "중지됨 · Stopped"
CURSOR = " ▌"
# Classes of an answer still being written (or cut off by Stop): no thumbs show on it (CSS).
UNFINISHED_CLASSES = ("rq-pending", "rq-unfinished")

CSS = """
.rq-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
             margin-bottom: 10px; }
.rq-source.rq-flash { outline: 3px solid var(--color-accent); }
.rq-source h4 { margin: 0 0 4px 0; font-size: 0.95em; }
.rq-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 6px; }
.rq-passage { white-space: pre-wrap; font-size: 0.92em; line-height: 1.5; }
/* Dark text on the yellow in both themes (inherit made it white on pale yellow in dark mode). */
.rq-passage mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.rq-inline { margin-top: 10px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.rq-inline summary { cursor: pointer; font-size: 0.9em; color: var(--body-text-color-subdued); }
.rq-inline .rq-source { margin: 8px 0 0 0; }
.rq-page-img { width: 100%; height: auto; border: 1px solid var(--border-color-primary);
               border-radius: 4px; margin-top: 6px; background: #fff; }
.rq-page-box summary, a.rq-page { cursor: pointer; font-size: 0.88em; }
#rq-admin label, #rq-admin .rq-admin-row { display: flex; gap: 8px; align-items: center;
                                           flex-wrap: wrap; margin: 6px 0; }
#rq-admin progress { width: 100%; }
#rq-admin pre { white-space: pre-wrap; font-size: 0.85em; margin: 4px 0; }
#rq-admin .rq-admin-bad { color: #b91c1c; }
.dark #rq-admin .rq-admin-bad { color: #fca5a5; }
#rq-admin button { border: 1px solid var(--border-color-primary); border-radius: 6px;
                   padding: 2px 10px; background: var(--button-secondary-background-fill); }
.rq-hidden { display: none !important; }
#rq-notice { margin: 8px 0; padding: 8px 12px; border-radius: 8px; background: #fef3c7;
             color: #78350f; border: 1px solid #f59e0b; }
/* While the notice says why a question was refused, Gradio's "Error" overlays stay hidden. */
body.rq-limited [data-testid="status-tracker"] { display: none !important; }
.rq-pending { color: var(--body-text-color-subdued); font-style: italic; }
.rq-stopped { color: var(--body-text-color-subdued); font-style: italic; font-size: 0.9em; }
/* Thumbs on finished answers only: not on "searching…", a half-written or a stopped answer
   (the whole button row: Gradio names the thumbs in the page's language). */
#rq-chat .message-row:has(.rq-pending, .rq-unfinished) + .message-buttons { display: none; }
/* A phone: each answer carries its sources inline; the side panel would sit far below. */
@media (max-width: 820px) { #rq-sources-col { display: none !important; } }
a.rq-cite { font-weight: 600; text-decoration: none; cursor: pointer; }
.rq-unsupported { text-decoration: underline dotted #d97706; text-underline-offset: 3px; }
.rq-grounded { color: var(--body-text-color-subdued); font-size: 0.85em; }
.rq-flag { color: #92400e; background: #fef3c7; border-radius: 4px; padding: 2px 6px;
           font-size: 0.85em; display: inline-block; margin-bottom: 6px; }
#rq-chat .message-content { white-space: pre-wrap; }
"""

# Clicking a [n] marker shows that answer's own passage n: in the side panel when it shows that
# answer (a wide screen), else in the answer's inline sources (opened), and flashes it.
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.rq-cite, a[href^="#rq-src-"]');
    if (!a) return;
    ev.preventDefault();
    const key = (a.getAttribute('href') || '').slice('#rq-src-'.length);
    if (!/^[A-Za-z0-9-]+$/.test(key)) return;
    const all = Array.from(document.querySelectorAll('.rq-src-' + key));
    const panel = all.find((el) => el.closest('#rq-sources') && el.offsetParent !== null);
    const inline = all.find((el) => !el.closest('#rq-sources'));
    const el = panel || inline;
    if (!el) return;
    const box = el.closest('details');
    if (box) box.open = true;
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
    el.classList.add('rq-flash');
    setTimeout(() => el.classList.remove('rq-flash'), 1500);
  }, true);
  const $ = (id) => document.getElementById(id);
  // A question the rate limit refuses (429) says why and when to ask again (the server's
  // localized `detail`), in place of Gradio's bare "Error" badges; Send comes back.
  const notice = (text) => {
    let el = $('rq-notice');
    if (!el && text) {
      const chat = $('rq-chat');
      if (!chat) return;
      el = document.createElement('div');
      el.id = 'rq-notice';
      el.setAttribute('role', 'alert');
      chat.insertAdjacentElement('afterend', el);
    }
    if (el) { el.textContent = text; el.hidden = !text; }
    document.body.classList.toggle('rq-limited', !!text);
  };
  const plainFetch = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const r = await plainFetch(...args);
    const url = String((args[0] && args[0].url) || args[0] || '');
    if (url.includes('gradio_api/queue/join')) {
      if (r.status === 429) {
        let text = '';
        try { text = (await r.clone().json()).detail || ''; } catch (e) { text = ''; }
        const wait = r.headers.get('Retry-After') || '?';
        notice(text || ('Too many questions at once: ask again in ' + wait + ' s.'));
        const idle = $('rq-idle');
        if (idle) idle.click();
      } else if (r.ok) {
        notice('');
      }
    }
    return r;
  };
  document.body.dataset.rqChat = 'ready';  // the page's script runs (tests wait for it)
  // The admin panel (ADMIN_HTML): upload with progress, document list, remove; over the API.
  const collection = () => {
    const box = document.querySelector('#rq-collection input');
    const panel = $('rq-admin');
    const name = box && box.value ? box.value : (panel ? panel.dataset.default : '');
    return name && name !== '*' && !name.startsWith('전체') ? name : (panel ? panel.dataset.default : '');
  };
  // The admin key, as typed: sent in a header on every admin call (with REPORTQA_API_KEY set the
  // server takes it there too), never put in a URL or the page.
  const auth = () => ({'Authorization': 'Bearer ' + (($('rq-admin-key') || {}).value || '')});
  // The collection note and picker re-read from the server (a hidden Gradio button): an upload or
  // a removal shows without a page reload.
  const refreshNote = () => { const b = $('rq-refresh'); if (b) b.click(); };
  const say = (text, bad) => {
    const out = $('rq-admin-status');
    if (!out) return;
    out.textContent = text;
    out.classList.toggle('rq-admin-bad', !!bad);
  };
  const failure = async (r) => {
    try { const body = await r.json(); return (body.error && body.error.message) || r.statusText; }
    catch (e) { return r.statusText || String(r.status); }
  };
  const listDocs = async () => {
    const list = $('rq-admin-docs');
    if (!list) return;
    const r = await fetch('api/v1/collections/' + encodeURIComponent(collection()) + '/documents',
                          {headers: auth()});
    if (!r.ok) { say(await failure(r), true); return; }
    const body = await r.json();
    list.dataset.ids = JSON.stringify(body.documents.map((d) => d.id));
    list.textContent = '';
    body.documents.forEach((d) => {
      const row = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = d.title + ' (' + d.file + ', ' + d.chunks + ')';
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'rq-admin-remove';
      remove.textContent = '삭제 · Remove';
      remove.dataset.doc = d.id;
      row.append(name, ' ', remove);
      list.appendChild(row);
    });
  };
  const poll = async (id) => {
    for (;;) {
      const r = await fetch('api/v1/jobs/' + encodeURIComponent(id), {headers: auth()});
      if (!r.ok) { say(await failure(r), true); return; }
      const job = await r.json();
      const bar = $('rq-admin-progress');
      if (bar) { bar.max = Math.max(job.progress.total, 1); bar.value = job.progress.done; }
      const lines = job.results.map((x) => x.file + ': ' + x.status + (x.reason ? ' — ' + x.reason : ''));
      say([job.state + ' · ' + job.phase + ' ' + job.progress.done + '/' + job.progress.total,
           job.served ? '답변에 반영됨 · now answering from it' : (job.message || ''), ...lines].join(String.fromCharCode(10)),
          job.state === 'failed');
      if (job.state === 'failed' || (job.state === 'done' && job.served)) {
        listDocs();
        refreshNote();
        return;
      }
      await new Promise((ok) => setTimeout(ok, 500));
    }
  };
  document.addEventListener('click', async (ev) => {
    const t = ev.target;
    if (!t || !t.closest) return;
    if (t.closest('#rq-admin-upload')) {
      const input = $('rq-admin-files');
      if (!input || !input.files.length) { say('파일을 고르세요 · Choose files first', true); return; }
      const form = new FormData();
      Array.from(input.files).forEach((f) => form.append('files', f, f.name));
      say('올리는 중… · Uploading…');
      const r = await fetch('api/v1/collections/' + encodeURIComponent(collection()) + '/documents',
                            {method: 'POST', headers: auth(), body: form});
      if (!r.ok) { say(await failure(r), true); return; }
      poll((await r.json()).id);
    } else if (t.closest('#rq-admin-list')) {
      listDocs();
    } else if (t.closest('.rq-admin-remove')) {
      const doc = t.closest('.rq-admin-remove').dataset.doc;
      const r = await fetch('api/v1/collections/' + encodeURIComponent(collection()) + '/documents/' +
                            encodeURIComponent(doc), {method: 'DELETE', headers: auth()});
      if (!r.ok) { say(await failure(r), true); return; }
      say('삭제됨 · Removed: ' + doc);
      // the list follows once the server answers from the new version (it loads in the background)
      for (let i = 0; i < 30; i++) {
        await new Promise((ok) => setTimeout(ok, 1000));
        await listDocs();
        const ids = JSON.parse(($('rq-admin-docs') || {dataset: {}}).dataset.ids || '[]');
        if (!ids.includes(doc)) break;
      }
      refreshNote();
    }
  });
}
"""


# Send ⇄ Stop in the browser: no request of its own (a rate-limited server refused those too,
# which left Stop showing after a refused question).
BUSY_JS = "() => [{__type__: 'update', visible: false}, {__type__: 'update', visible: true}]"
IDLE_JS = "() => [{__type__: 'update', visible: true}, {__type__: 'update', visible: false}]"


def admin_html(default: str) -> str:
    """The admin panel: the admin key, files to upload (progress and per-file results), the
    collection's documents with a remove button each. Its buttons call the API (JS above)."""
    return (
        f'<div id="rq-admin" data-default="{html.escape(default)}">'
        '<label>관리자 키 · Admin key <input id="rq-admin-key" type="password" autocomplete="off"></label>'
        '<div class="rq-admin-row"><input id="rq-admin-files" type="file" multiple '
        'accept=".pdf,.hwp,.hwpx,.docx,.txt,.md,.html,.htm,.csv,.xlsx,.pptx">'
        '<button type="button" id="rq-admin-upload">올리기 · Upload</button></div>'
        '<progress id="rq-admin-progress" value="0" max="1"></progress>'
        '<pre id="rq-admin-status" aria-live="polite"></pre>'
        '<button type="button" id="rq-admin-list">문서 목록 · Documents</button>'
        '<ul id="rq-admin-docs"></ul></div>'
    )

_MARKER = re.compile(r"\[(\d{1,3})\]")


UNSUPPORTED_TITLE = "출처가 뒷받침하지 않는 문장 · not supported by its cited sources"


def render_answer_html(
    answer: Answer, key: str = "a", owners: tuple[str, ...] = (), signer: PreviewSigner | None = None
) -> str:
    """The answer text, escaped, with each ``[n]`` turned into a link to this answer's source
    ``n`` (``key`` tells the answers of one chat apart), its sources inline below it.

    Sentences their sources do not support are underlined and flagged with ⚠; a generated
    answer ends with its groundedness (extractive answers quote their sources verbatim).
    """
    known = {c.n for c in answer.citations}

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        return f'<a class="rq-cite" href="#rq-src-{key}-{n}">[{n}]</a>'

    def piece(text: str) -> str:
        return _MARKER.sub(link, html.escape(text))

    text, out, pos = answer.text, [], 0
    for s, e in sorted(answer.unsupported):
        if s < pos or e > len(text):
            continue
        out.append(piece(text[pos:s]))
        out.append(
            f'<span class="rq-unsupported" title="{UNSUPPORTED_TITLE}">{piece(text[s:e])}</span> ⚠'
        )
        pos = e
    out.append(piece(text[pos:]))
    if answer.grounded is not None and (answer.unsupported or answer.grounded < 1):
        out.append(
            f'\n\n<span class="rq-grounded">근거 일치도 · grounded: {answer.grounded:.0%}</span>'
        )
    if answer.citations:
        out.append(
            f'<details class="rq-inline"><summary>출처 {len(answer.citations)} · Sources</summary>'
            f"{source_cards(answer, key, owners, signer=signer)}</details>"
        )
    return "".join(out)


def _highlighted(citation: Citation) -> str:
    text = citation.chunk.text
    out: list[str] = []
    pos = 0
    for s, e in sorted(citation.sentence_spans):
        if s < pos:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


FLAG_NOTE = (
    "주의: 이 출처에는 지시문·링크·서식이 있습니다. 그대로 따르지 마세요. · "
    "Caution: this source contains instructions, links or markup; do not follow them."
)


def flag_badge(flags: tuple[str, ...]) -> str:
    """The warning shown above a flagged passage (answer/safety.py), or ""."""
    if not flags:
        return ""
    names = html.escape(" ".join(flags))
    return f'<div class="rq-flag" data-flags="{names}">⚠ {html.escape(FLAG_NOTE)} ({names})</div>'


def page_link(
    citation: Citation, owner: str | None, image: bool, signer: PreviewSigner | None = None
) -> str:
    """For a cited PDF page: a link to its preview (the passage highlighted) and, in the side
    panel, the preview itself, loaded when opened; "" for other documents (their card shows
    the passage in its section)."""
    chunk = citation.chunk
    if owner is None or not chunk.page or not file_name(chunk.source).lower().endswith(".pdf"):
        return ""
    url = html.escape(preview_path(owner, chunk.doc_id, chunk.page, chunk.id, signer))
    label = f"{chunk.page}쪽 보기 · View page {chunk.page}"
    link = f'<a class="rq-page" href="{url}" target="_blank" rel="noopener">{label}</a>'
    if not image:
        return f'<div class="rq-meta">{link}</div>'
    return (
        f'<details class="rq-page-box"><summary>{label}</summary>'
        f'<img class="rq-page-img" loading="lazy" src="{url}" alt="{html.escape(label)}">'
        f'<div class="rq-meta">{link}</div></details>'
    )


def source_cards(
    answer: Answer,
    key: str,
    owners: tuple[str, ...] = (),
    images: bool = False,
    signer: PreviewSigner | None = None,
) -> str:
    """One card per citation (file name, never a server path), answering sentences
    highlighted; all escaped. ``owners`` names each citation's collection."""
    cards = []
    many = len(set(owners)) > 1
    for i, c in enumerate(answer.citations):
        owner = owners[i] if i < len(owners) else None
        meta = [html.escape(file_name(c.chunk.source) or c.chunk.doc_id)]
        if c.chunk.location:
            meta.append(html.escape(c.chunk.location))
        if owner is not None and many:
            meta.append(html.escape(owner))
        meta.append(f"score {c.score:.3f}")
        cards.append(
            # a class, not a data- attribute: the chat's sanitizer keeps classes only
            f'<div class="rq-source rq-src-{html.escape(key)}-{c.n}">'
            f"<h4>[{c.n}] {html.escape(c.chunk.title)}</h4>"
            f'<div class="rq-meta">{" · ".join(meta)}</div>'
            f"{flag_badge(c.flags)}"
            f'<div class="rq-passage">{_highlighted(c)}</div>'
            f"{page_link(c, owner, images, signer)}</div>"
        )
    return "".join(cards)


def render_sources_html(
    answer: Answer | None,
    key: str = "a",
    owners: tuple[str, ...] = (),
    signer: PreviewSigner | None = None,
) -> str:
    """The sources panel: the latest answer's cards (its ``key`` as in its message)."""
    if answer is None or not answer.citations:
        note = "답변에 인용된 출처가 여기에 표시됩니다. · Cited passages appear here."
        return f'<div class="rq-meta">{html.escape(note)}</div>'
    return source_cards(answer, key, owners, images=True, signer=signer)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def markdown_text(text: str) -> str:
    """``text`` shown literally inside Markdown: HTML-escaped and Markdown syntax backslashed
    (a document titled ``# <img onerror=…>`` or ``[x](javascript:…)`` stays plain text)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text))


def corpus_note(settings: Settings, collection: Collection | None = None) -> str:
    """Which collection is asked, read from its manifest only (no model, no vectors); its name
    and document titles, never a server path."""
    name = collection.name if collection is not None else settings.resolved_index_dir.name
    try:
        manifest = (
            collection.manifest() if collection is not None
            else read_manifest(settings.resolved_index_dir)
        )
    except ReportQAError:
        return f"**{markdown_text(name)}** — not built yet (it is built on first start)."
    docs = manifest.get("documents", [])
    titles = ", ".join(sorted({d.get("title", d.get("id", "")) for d in docs})[:4])
    more = " …" if len(docs) > 4 else ""
    return (
        f"**{markdown_text(name)}** · {len(docs)} documents · "
        f"{manifest.get('chunk_count', 0)} passages  \n{markdown_text(titles)}{more}"
    )


def all_note(collections: Collections) -> str:
    """The note for ``"*"``: every collection's name and counts."""
    parts = []
    for c in collections.items:
        info = c.info()
        parts.append(
            f"**{markdown_text(c.name)}** ({info['documents']} documents, {info['passages']} passages)"
        )
    return "모든 컬렉션 · All collections: " + ", ".join(parts)


class ChatService:
    """The UI's functions, bound to the served collections (each lazily loaded)."""

    def __init__(
        self,
        settings: Settings,
        pipeline: QAPipeline | None = None,
        feedback: FeedbackStore | None = None,
        recent: RecentAnswers | None = None,
        served: ServedIndex | None = None,
        collections: Collections | None = None,
    ) -> None:
        self.settings = settings
        self.collections = collections or build_collections(settings, (), pipeline, served)
        self.served = self.collections.first.served
        self.feedback_store = feedback or FeedbackStore(settings.feedback_db)
        self.recent = recent or RecentAnswers()

    @property
    def pipeline(self) -> QAPipeline:
        """The first collection's pipeline over the version served now (one per chat turn)."""
        return self.served.current().pipeline

    def choices(self) -> list[tuple[str, str]]:
        """The picker's (label, value) pairs: each collection, then all of them."""
        pairs = [(c.name, c.name) for c in self.collections.items]
        return [*pairs, (ALL_LABEL, ALL)] if len(pairs) > 1 else pairs

    def note(self, name: str | None) -> str:
        if name == ALL:
            return all_note(self.collections)
        try:
            return corpus_note(self.settings, self.collections.get(name))
        except UnknownCollectionError:
            return corpus_note(self.settings, self.collections.first)

    def examples(self, name: str | None) -> list[str]:
        """The example questions of ``name`` (for ``"*"``: the first collection's that has some)."""
        chosen = self.collections.items if name == ALL else [self._get(name)]
        for c in chosen:
            found = c.examples()
            if found:
                return found
        return []

    def answering(self, name: str | None) -> tuple[Any, Callable[[Answer], tuple[str, ...]]]:
        """The pipeline that answers for the picker's ``name`` (the served version of its
        collection, or for ``"*"`` all of them fused: server/fused.py) and each answer's
        citations' collections."""
        if name == ALL and len(self.collections.items) > 1:
            fused = FusedPipeline(
                [(c.name, c.served.current().pipeline) for c in self.collections.items]
            )
            return fused, fused.owners
        chosen = self._get(name or None)

        def owners(answer: Answer) -> tuple[str, ...]:
            return (chosen.name,) * len(answer.citations)

        return chosen.served.current().pipeline, owners

    def _get(self, name: str | None) -> Collection:
        try:
            return self.collections.get(name)
        except UnknownCollectionError:
            return self.collections.first

    def respond(
        self, message: str, history: list[dict[str, Any]] | None, collection: str | None = None
    ) -> tuple[list[dict[str, Any]], str, str]:
        """One chat turn: returns (chat history, sources panel HTML, cleared textbox)."""
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            return history, render_sources_html(None), ""
        pairs = _history_pairs(history)
        key = turn_key(history)
        try:
            pipeline, owners_of = self.answering(collection)
            answer = pipeline.ask(message, history=pairs)
        except ReportQAError as exc:
            history += [
                {"role": "user", "content": message},
                {"role": "assistant", "content": html.escape(str(exc))},
            ]
            return history, render_sources_html(None), ""
        owners = owners_of(answer)
        reply = render_answer_html(answer, key, owners, self.collections.signer)
        self.remember(message, answer, reply)
        history += [
            {"role": "user", "content": html.escape(message)},
            {"role": "assistant", "content": reply},
        ]
        return history, render_sources_html(answer, key, owners, self.collections.signer), ""

    def respond_stream(
        self, message: str, history: list[dict[str, Any]] | None, collection: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        """``respond`` as a stream: a "searching…" bubble, the answer as it is written, then the
        checked one (``"*"``: one answer over all collections, server/fused.py)."""
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            yield history, render_sources_html(None), ""
            return
        pairs = _history_pairs(history)
        key = turn_key(history)
        turn = [{"role": "user", "content": html.escape(message)}]
        pending = [*turn, {"role": "assistant", "content": f'<span class="rq-pending">{SEARCHING}</span>'}]
        yield history + pending, render_sources_html(None), ""
        shown = ""
        try:
            pipeline, owners_of = self.answering(collection)
            for event in pipeline.ask_stream(message, history=pairs):
                if isinstance(event, Answer):
                    owners = owners_of(event)
                    reply = render_answer_html(event, key, owners, self.collections.signer)
                    self.remember(message, event, reply)
                    done = [*turn, {"role": "assistant", "content": reply}]
                    yield history + done, render_sources_html(event, key, owners, self.collections.signer), ""
                    return
                shown += event
                partial = [*turn, {"role": "assistant", "content": unfinished_html(shown)}]
                yield history + partial, render_sources_html(None), ""
        except ReportQAError as exc:
            error = [*turn, {"role": "assistant", "content": html.escape(str(exc))}]
            yield history + error, render_sources_html(None), ""

    def remember(self, question: str, answer: Answer, reply: str) -> None:
        """Keep a given answer so a later 👍/👎 on its chat message is stored with it."""
        settings = answer_settings(self.settings)
        self.recent.remember(question, answer, settings, channel="ui", text_key=reply)

    def feedback(
        self, history: list[dict[str, Any]] | None, comment: str, data: gr.LikeData
    ) -> tuple[str, str, Any, Any]:
        """A 👍/👎 on a finished chat answer (with the comment box's text): stored. Returns the
        comment box, a note, the rating a later comment belongs to, and the comment button
        (shown when the thumb came first: the comment can follow it)."""
        history = list(history or [])
        index = data.index if isinstance(data.index, int) else data.index[0]
        rating: Rating
        if data.liked in (True, "Like"):
            rating = "up"
        elif data.liked in (False, "Dislike"):
            rating = "down"
        else:  # a click that takes the rating back: the table is append-only, keep the first
            return comment, "", None, gr.Button(visible=False)
        if not 0 <= index < len(history) or history[index].get("role") != "assistant":
            return comment, "", None, gr.Button(visible=False)
        content = message_text(history[index].get("content"))
        if not finished(content):
            return comment, UNFINISHED_NOTE, None, gr.Button(visible=False)
        error = self.store_feedback(history, index, rating, comment)
        if error:
            return comment, error, None, gr.Button(visible=False)
        if comment.strip():
            return "", THANKS_NOTE, None, gr.Button(visible=False)
        return "", f"{THANKS_NOTE} {COMMENT_AFTER_NOTE}", (rating, index), gr.Button(visible=True)

    def comment_after(
        self, history: list[dict[str, Any]] | None, comment: str, pending: Any
    ) -> tuple[str, str, Any, Any]:
        """The comment typed after a thumb: stored with that answer and rating."""
        if not pending or not (comment or "").strip():
            return comment, COMMENT_AFTER_NOTE if pending else "", pending, gr.Button(visible=bool(pending))
        rating, index = pending
        error = self.store_feedback(list(history or []), int(index), rating, comment)
        if error:
            return comment, error, pending, gr.Button(visible=True)
        return "", THANKS_NOTE, None, gr.Button(visible=False)

    def store_feedback(
        self, history: list[dict[str, Any]], index: int, rating: Rating, comment: str
    ) -> str:
        """Store one rating of the answer at ``history[index]``; "" or the error to show."""
        if not 0 <= index < len(history):
            return ""
        reply = message_text(history[index].get("content"))
        record = self.recent.find_by_text(reply)
        try:
            if record is not None:
                self.feedback_store.add_for(record, rating, comment or "", channel="ui")
            else:  # answered before a restart: store what the chat shows
                pairs = _history_pairs(history[: index + 1])
                question, shown = pairs[-1] if pairs else ("", reply)
                self.feedback_store.add(
                    rating=rating,
                    question=question,
                    answer={"answer": shown},
                    settings=answer_settings(self.settings),
                    channel="ui",
                    comment=comment or "",
                    source="client",
                )
        except ReportQAError as exc:
            return html.escape(str(exc))
        return ""


def unfinished_html(text: str) -> str:
    """An answer still being written: escaped, with the cursor, marked unfinished."""
    return f'<span class="rq-unfinished">{html.escape(text)}{CURSOR}</span>'


def finished(content: str) -> bool:
    """Whether a chat message is a whole answer (not searching, being written or stopped)."""
    return not content.endswith(CURSOR) and not any(c in content for c in UNFINISHED_CLASSES)


def stopped_history(history: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The chat after Stop: the cut-off answer without its cursor (or the "searching…" bubble),
    marked stopped; a finished last answer stays as it is."""
    history = list(history or [])
    if not history or history[-1].get("role") != "assistant":
        return history
    content = message_text(history[-1].get("content"))
    if finished(content):
        return history
    text = "" if "rq-pending" in content else html.unescape(re.sub(r"<[^>]+>", "", content))
    text = text.removesuffix(CURSOR).rstrip()
    shown = f'<span class="rq-unfinished">{html.escape(text)}</span>' if text else ""
    stopped = f'{shown}{" " if shown else ""}<span class="rq-stopped">({STOPPED})</span>'
    return [*history[:-1], {**history[-1], "content": stopped}]


def message_text(content: Any) -> str:
    """The text of a chat message's content: a string, or Gradio 6's list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(message_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or "")
    return ""


def turn_key(history: list[dict[str, Any]]) -> str:
    """A key for the next answer's source links: its turn number (answers of one chat apart)."""
    return f"t{sum(1 for m in history if m.get('role') == 'assistant') + 1}"


_INLINE_SOURCES = re.compile(r'<details class="rq-inline">.*?</details>', re.S)


def _history_pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    user: str | None = None
    for msg in history:
        content = _INLINE_SOURCES.sub("", message_text(msg.get("content")))
        text = html.unescape(re.sub(r"<[^>]+>", "", content))
        if msg.get("role") == "user":
            user = text
        elif user is not None:
            pairs.append((user, text))
            user = None
    return pairs


def build_ui(settings: Settings, service: ChatService | None = None) -> gr.Blocks:
    """The Gradio Blocks app. Cheap: no model or index is loaded here."""
    service = service or ChatService(settings)
    first = service.collections.first.name
    many = len(service.collections.items) > 1
    with gr.Blocks(title="reportqa — 보고서 Q&A") as demo:
        gr.Markdown("## reportqa · 보고서 질의응답 (Korean / English)")
        picker = gr.Dropdown(
            service.choices(),
            value=first,
            label="컬렉션 · Collection",
            visible=many,
            interactive=True,
            elem_id="rq-collection",
        )
        # A callable value is evaluated on each page load: the note follows new index versions.
        note = gr.Markdown(lambda: service.note(first), elem_id="rq-corpus")
        with gr.Row():
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,  # its badge covered the first line of a scrolled chat
                    height=480,
                    elem_id="rq-chat",
                    sanitize_html=True,
                    render_markdown=False,
                    feedback_options=("Like", "Dislike"),
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="질문을 입력하세요 · Ask a question about the report",
                        show_label=False,
                        scale=5,
                        elem_id="rq-question",
                        max_length=2000,
                    )
                    send = gr.Button("보내기 · Send", variant="primary", scale=1, elem_id="rq-send")
                    stop = gr.Button(
                        "중지 · Stop", variant="stop", scale=1, visible=False, elem_id="rq-stop"
                    )
                first_examples = service.examples(first)
                examples = gr.Dataset(
                    components=[box],
                    samples=[[q] for q in first_examples] or [[""]],
                    label="예시 질문 · Example questions",
                    visible=bool(first_examples),
                    elem_id="rq-examples",
                )
                clear = gr.Button("대화 지우기 · Clear", size="sm")
                comment = gr.Textbox(
                    placeholder="답변에 대한 의견 (선택): 좋아요/싫어요와 함께 저장됩니다 · "
                    "Optional comment, saved with your Like/Dislike (before or after it)",
                    show_label=False,
                    max_lines=2,
                    max_length=1000,
                    elem_id="rq-feedback-comment",
                )
                send_comment = gr.Button(
                    "의견 보내기 · Send comment", size="sm", visible=False, elem_id="rq-comment-send"
                )
                feedback_note = gr.Markdown(elem_id="rq-feedback-note")
                pending_rating = gr.State(None)
            with gr.Column(scale=2, min_width=280, elem_id="rq-sources-col"):
                gr.Markdown("### 출처 · Sources")
                sources = gr.HTML(render_sources_html(None), elem_id="rq-sources")
        if settings.admin_key:  # uploads are on: the panel for admins (the key is asked for)
            with gr.Accordion("관리 · Admin: 문서 올리기 · upload documents", open=False):
                gr.HTML(admin_html(first), elem_id="rq-admin-panel")

        def picked(name: str) -> tuple[str, Any, list[Any], str]:
            found = service.examples(name)
            return (
                service.note(name),
                gr.Dataset(samples=[[q] for q in found] or [[""]], visible=bool(found)),
                [],
                render_sources_html(None),
            )

        picker.change(
            picked, picker, [note, examples, chatbot, sources], api_visibility="private"
        )

        def refreshed(name: str) -> tuple[str, Any, Any]:
            found = service.examples(name)
            return (
                service.note(name),
                gr.update(choices=service.choices()),
                gr.Dataset(samples=[[q] for q in found] or [[""]], visible=bool(found)),
            )

        # The admin panel clicks it once an upload or a removal is served (JS above).
        refresh = gr.Button("refresh", elem_id="rq-refresh", elem_classes=["rq-hidden"])
        refresh.click(refreshed, picker, [note, picker, examples], api_visibility="private")
        examples.click(lambda row: row[0] if row else "", examples, box, api_visibility="private")
        runs = []
        for trigger, visibility in ((box.submit, "public"), (send.click, "private")):
            started = trigger(None, None, [send, stop], js=BUSY_JS, api_visibility="private")
            run = started.then(
                service.respond_stream,
                [box, chatbot, picker],
                [chatbot, sources, box],
                api_name="chat" if visibility == "public" else None,
                api_visibility=visibility,
            )
            run.then(None, None, [send, stop], js=IDLE_JS, api_visibility="private")
            runs.append(run)
        # Send back without a request: clicked by the page's script when a question is refused.
        idle = gr.Button("idle", elem_id="rq-idle", elem_classes=["rq-hidden"])
        idle.click(None, None, [send, stop], js=IDLE_JS, api_visibility="private")
        stop.click(None, None, [send, stop], js=IDLE_JS, cancels=runs, api_visibility="private").then(
            stopped_history, chatbot, chatbot, api_visibility="private"
        )
        rated = [comment, feedback_note, pending_rating, send_comment]
        chatbot.like(service.feedback, [chatbot, comment], rated, api_visibility="private")
        send_comment.click(
            service.comment_after, [chatbot, comment, pending_rating], rated, api_visibility="private"
        )
        clear.click(
            lambda: ([], render_sources_html(None), ""),
            None,
            [chatbot, sources, box],
            api_visibility="private",
        )
    return demo


def create_server_app(
    settings: Settings,
    pipeline: QAPipeline | None = None,
    feedback: FeedbackStore | None = None,
    indexes: list[str] | None = None,
) -> FastAPI:
    """The one HTTP app: the Gradio chat at ``/``, the widget at ``/widget``, the JSON API under
    ``/api/v1`` and the OpenAI-compatible ``/v1``; one feedback store for all, one
    ``ServedIndex`` per collection (``indexes``: ``NAME=DIR`` specs; none: ``settings``' index).

    Cheap: no model or index is loaded here (``app.state.backend.warm_up()`` loads them).
    """
    from server.api import create_api

    # One holder per collection for all front ends: they follow new versions together.
    collections = build_collections(settings, indexes or (), pipeline)
    feedback = feedback or FeedbackStore(settings.feedback_db)
    recent = RecentAnswers()
    api = create_api(settings, None, feedback, recent, None, collections)
    demo = build_ui(settings, ChatService(settings, None, feedback, recent, None, collections))
    demo.queue(default_concurrency_limit=4)
    return gr.mount_gradio_app(
        api,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        css=CSS,
        js=JS,
        footer_links=["api"],
        allowed_paths=[],
        max_file_size="10mb" if settings.allow_uploads else "1kb",
    )


def warm_up(backend: Any) -> None:
    """Load the index and every model a first question needs, between the CLI's "loading
    models…" line and the line with its time (stderr)."""
    from reportqa.entry import load_models, loading_models

    try:
        with loading_models():
            backend.warm_up()  # the index; logs why when it cannot
            load_models(backend.pipeline)
    except ReportQAError as exc:  # the first question reports it too
        log.warning("could not load the models at start: %s", exc)


def serve(settings: Settings, indexes: list[str] | None = None) -> None:
    """Build the index on first run, then serve everything on ``settings.host:settings.port``;
    ``indexes`` (``NAME=DIR`` specs) serves those existing indexes as collections instead."""
    import threading

    import uvicorn

    from index.indexing import ensure_index
    from server.background import uvicorn_options

    collections = build_collections(settings, indexes or ())  # names checked before any load
    if len(collections.items) > 1:
        for c in collections.items:
            read_manifest(c.settings.resolved_index_dir)  # a missing index: its error, now
    else:  # one index: built from the corpus on first run, as before
        summary = ensure_index(collections.first.settings)
        if summary is not None:
            print(summary.sample_built_line(), file=sys.stderr)
    server_app = create_server_app(settings, indexes=indexes)
    threading.Thread(target=warm_up, args=(server_app.state.backend,), daemon=True).start()
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"reportqa: chat {base}/ · widget {base}/widget · API {base}/api/v1 "
        f"(schema {base}/api/v1/openapi.json) · OpenAI-compatible {base}/v1",
        file=sys.stderr,
    )
    uvicorn.run(
        server_app,
        host=settings.host,
        port=settings.port,
        log_level=str(settings.log_level).lower(),
        timeout_graceful_shutdown=5,
        **uvicorn_options(settings.trust_proxy_headers),
    )


def main() -> int:
    settings = Settings.load()
    configure_logging(settings.log_level)
    try:
        serve(settings)
    except ReportQAError as exc:
        print(f"reportqa: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
