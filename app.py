"""The chat UI (Gradio Blocks) over the answer pipeline. ``python app.py`` serves it.

On first run the bundled sample corpus is ingested into the default index, then the chat is
served on 127.0.0.1:7860. Building the UI loads no model: the pipeline loads on the first question.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import gradio as gr
from fastapi import FastAPI

from answer.pipeline import QAPipeline
from index.store import read_manifest
from reportqa.cli import configure_logging
from reportqa.errors import ReportQAError
from reportqa.settings import Settings
from reportqa.types import Answer, Citation
from server.feedback import FeedbackStore, Rating, RecentAnswers, answer_settings
from server.served_index import ServedIndex

log = logging.getLogger(__name__)

EXAMPLES = [
    "보고서가 제시한 3대 추진 전략은?",
    "경기도가 이차전지 산업에 유리한 이유는 무엇인가요?",
    "사용 후 배터리와 관련된 과제는?",
    "What are the three strategies?",
    "Who published the report and when?",
]

CSS = """
.rq-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
             margin-bottom: 10px; }
.rq-source.rq-flash { outline: 3px solid var(--color-accent); }
.rq-source h4 { margin: 0 0 4px 0; font-size: 0.95em; }
.rq-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 6px; }
.rq-passage { white-space: pre-wrap; font-size: 0.92em; line-height: 1.5; }
.rq-passage mark { background: #fde68a; color: inherit; padding: 0 1px; }
a.rq-cite { font-weight: 600; text-decoration: none; cursor: pointer; }
.rq-unsupported { text-decoration: underline dotted #d97706; text-underline-offset: 3px; }
.rq-grounded { color: var(--body-text-color-subdued); font-size: 0.85em; }
.rq-flag { color: #92400e; background: #fef3c7; border-radius: 4px; padding: 2px 6px;
           font-size: 0.85em; display: inline-block; margin-bottom: 6px; }
#rq-chat .message-content { white-space: pre-wrap; }
"""

# Clicking a [n] marker in the chat scrolls the sources panel to passage n and flashes it.
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.rq-cite, a[href^="#rq-src-"]');
    if (!a) return;
    ev.preventDefault();
    const id = (a.getAttribute('href') || '').slice(1);
    const el = document.getElementById(id);
    if (!el) return;
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
    el.classList.add('rq-flash');
    setTimeout(() => el.classList.remove('rq-flash'), 1500);
  }, true);
}
"""

_MARKER = re.compile(r"\[(\d{1,3})\]")


UNSUPPORTED_TITLE = "출처가 뒷받침하지 않는 문장 · not supported by its cited sources"


def render_answer_html(answer: Answer) -> str:
    """The answer text, escaped, with each ``[n]`` turned into a link to source ``n``.

    Sentences their sources do not support are underlined and flagged with ⚠; a generated
    answer ends with its groundedness (extractive answers quote their sources verbatim).
    """
    known = {c.n for c in answer.citations}

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        return f'<a class="rq-cite" href="#rq-src-{n}">[{n}]</a>'

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


def render_sources_html(answer: Answer | None) -> str:
    """The sources panel: one card per citation, answering sentences highlighted; all escaped."""
    if answer is None or not answer.citations:
        note = "답변에 인용된 출처가 여기에 표시됩니다. · Cited passages appear here."
        return f'<div class="rq-meta">{html.escape(note)}</div>'
    cards = []
    for c in answer.citations:
        meta = [html.escape(c.chunk.doc_id)]
        if c.chunk.location:
            meta.append(html.escape(c.chunk.location))
        meta.append(f"score {c.score:.3f}")
        cards.append(
            f'<div class="rq-source" id="rq-src-{c.n}">'
            f"<h4>[{c.n}] {html.escape(c.chunk.title)}</h4>"
            f'<div class="rq-meta">{" · ".join(meta)}</div>'
            f"{flag_badge(c.flags)}"
            f'<div class="rq-passage">{_highlighted(c)}</div></div>'
        )
    return "".join(cards)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def markdown_text(text: str) -> str:
    """``text`` shown literally inside Markdown: HTML-escaped and Markdown syntax backslashed
    (a document titled ``# <img onerror=…>`` or ``[x](javascript:…)`` stays plain text)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text))


def corpus_note(settings: Settings) -> str:
    """Which index is loaded, read from its manifest only (no model, no vectors)."""
    index_dir = settings.resolved_index_dir
    try:
        manifest = read_manifest(index_dir)
    except ReportQAError:
        return f"Index: `{index_dir}` — not built yet (it is built on first start)."
    docs = manifest.get("documents", [])
    titles = ", ".join(sorted({d.get("title", d.get("id", "")) for d in docs})[:4])
    more = " …" if len(docs) > 4 else ""
    return (
        f"**Index** `{index_dir}` · {len(docs)} documents · {manifest.get('chunk_count', 0)} passages · "
        f"embedder `{manifest.get('embedder', {}).get('name')}`  \n{markdown_text(titles)}{more}"
    )


class ChatService:
    """The UI's functions, bound to one lazily loaded pipeline."""

    def __init__(
        self,
        settings: Settings,
        pipeline: QAPipeline | None = None,
        feedback: FeedbackStore | None = None,
        recent: RecentAnswers | None = None,
        served: ServedIndex | None = None,
    ) -> None:
        self.settings = settings
        self.served = served or ServedIndex(settings, pipeline)
        self.feedback_store = feedback or FeedbackStore(settings.feedback_db)
        self.recent = recent or RecentAnswers()

    @property
    def pipeline(self) -> QAPipeline:
        """The pipeline over the index version served now (one per chat turn)."""
        return self.served.current().pipeline

    def respond(
        self, message: str, history: list[dict[str, Any]] | None
    ) -> tuple[list[dict[str, Any]], str, str]:
        """One chat turn: returns (chat history, sources panel HTML, cleared textbox)."""
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            return history, render_sources_html(None), ""
        pairs = _history_pairs(history)
        try:
            answer = self.pipeline.ask(message, history=pairs)
        except ReportQAError as exc:
            history += [
                {"role": "user", "content": message},
                {"role": "assistant", "content": html.escape(str(exc))},
            ]
            return history, render_sources_html(None), ""
        reply = render_answer_html(answer)
        self.remember(message, answer, reply)
        history += [
            {"role": "user", "content": html.escape(message)},
            {"role": "assistant", "content": reply},
        ]
        return history, render_sources_html(answer), ""

    def respond_stream(
        self, message: str, history: list[dict[str, Any]] | None
    ) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
        """``respond`` as a stream: the answer appears as it is written, then the checked one."""
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            yield history, render_sources_html(None), ""
            return
        pairs = _history_pairs(history)
        turn = [{"role": "user", "content": html.escape(message)}]
        yield history + turn, render_sources_html(None), ""
        shown = ""
        try:
            for event in self.pipeline.ask_stream(message, history=pairs):
                if isinstance(event, Answer):
                    reply = render_answer_html(event)
                    self.remember(message, event, reply)
                    done = [*turn, {"role": "assistant", "content": reply}]
                    yield history + done, render_sources_html(event), ""
                    return
                shown += event
                partial = [*turn, {"role": "assistant", "content": html.escape(shown) + " ▌"}]
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
    ) -> tuple[str, str]:
        """A 👍/👎 on a chat answer (with the comment box's text): stored; returns the cleared
        comment box and a thank-you note."""
        history = list(history or [])
        index = data.index if isinstance(data.index, int) else data.index[0]
        rating: Rating
        if data.liked in (True, "Like"):
            rating = "up"
        elif data.liked in (False, "Dislike"):
            rating = "down"
        else:  # a click that takes the rating back: the table is append-only, keep the first
            return comment, ""
        if not 0 <= index < len(history) or history[index].get("role") != "assistant":
            return comment, ""
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
            return comment, html.escape(str(exc))
        return "", "의견 감사합니다 · Thank you for the feedback."


def message_text(content: Any) -> str:
    """The text of a chat message's content: a string, or Gradio 6's list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(message_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or "")
    return ""


def _history_pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    user: str | None = None
    for msg in history:
        text = html.unescape(re.sub(r"<[^>]+>", "", message_text(msg.get("content"))))
        if msg.get("role") == "user":
            user = text
        elif user is not None:
            pairs.append((user, text))
            user = None
    return pairs


def build_ui(settings: Settings, service: ChatService | None = None) -> gr.Blocks:
    """The Gradio Blocks app. Cheap: no model or index is loaded here."""
    service = service or ChatService(settings)
    with gr.Blocks(title="reportqa — 보고서 Q&A") as demo:
        gr.Markdown("## reportqa · 보고서 질의응답 (Korean / English)")
        # A callable value is evaluated on each page load: the note follows new index versions.
        gr.Markdown(lambda: corpus_note(settings), elem_id="rq-corpus")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
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
                gr.Examples(EXAMPLES, inputs=box, label="예시 질문 · Example questions")
                clear = gr.Button("대화 지우기 · Clear", size="sm")
                comment = gr.Textbox(
                    placeholder="답변에 대한 의견 (선택): 답변 아래 좋아요/싫어요를 누르면 함께 "
                    "저장됩니다 · Optional comment, saved when you click Like/Dislike on an answer",
                    show_label=False,
                    max_lines=2,
                    max_length=1000,
                    elem_id="rq-feedback-comment",
                )
                feedback_note = gr.Markdown(elem_id="rq-feedback-note")
            with gr.Column(scale=2):
                gr.Markdown("### 출처 · Sources")
                sources = gr.HTML(render_sources_html(None), elem_id="rq-sources")
        box.submit(
            service.respond_stream, [box, chatbot], [chatbot, sources, box], api_name="chat"
        )
        send.click(
            service.respond_stream,
            [box, chatbot],
            [chatbot, sources, box],
            api_visibility="private",
        )
        chatbot.like(
            service.feedback, [chatbot, comment], [comment, feedback_note], api_visibility="private"
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
) -> FastAPI:
    """The one HTTP app: the Gradio chat at ``/``, the widget at ``/widget``, the JSON API under
    ``/api/v1`` and the OpenAI-compatible ``/v1``; one pipeline and one feedback store for all.

    Cheap: no model or index is loaded here (``app.state.backend.warm_up()`` loads them).
    """
    from server.api import create_api

    served = ServedIndex(settings, pipeline)  # one for all: they follow new versions together
    feedback = feedback or FeedbackStore(settings.feedback_db)
    recent = RecentAnswers()
    api = create_api(settings, None, feedback, recent, served)
    demo = build_ui(settings, ChatService(settings, None, feedback, recent, served))
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
    from reportqa.cli import load_models, loading_models

    try:
        with loading_models():
            backend.warm_up()  # the index; logs why when it cannot
            load_models(backend.pipeline)
    except ReportQAError as exc:  # the first question reports it too
        log.warning("could not load the models at start: %s", exc)


def serve(settings: Settings) -> None:
    """Build the index on first run, then serve everything on ``settings.host:settings.port``."""
    import threading

    import uvicorn

    from index.indexing import ensure_index
    from server.background import uvicorn_options

    summary = ensure_index(settings)
    if summary is not None:
        print(summary.sample_built_line(), file=sys.stderr)
    server_app = create_server_app(settings)
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
