"""Protection for the HTTP layer: API keys, a per-client rate limit, request size limits, CORS for
the API, frame-ancestors/CSP for the pages, and Gradio's upload and file endpoints closed.

Everything here is plain ASGI middleware or a FastAPI dependency, configured from ``Settings``.
Every refusal is a JSON body ``{"error": {"type", "code", "message"}}`` (the OpenAI shape, so the
same clients understand errors from ``/api/v1`` and ``/v1``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlencode

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reportqa.errors import ConfigError
from reportqa.settings import Settings

API_KEY_HEADER = "X-API-Key"

# Paths the API protection applies to (the JSON API, the OpenAI-compatible API, the widget's API).
API_PREFIXES = ("/api/", "/v1/")
WIDGET_API_PREFIX = "/widget/api/"
# Gradio's own API. Every request to it that is not a read (GET/HEAD) can run the chat
# (queue/join, call/, call/v2/, run/, api/, …): all of them pass the page rule and the rate limit.
GRADIO_API_PREFIX = "/gradio_api/"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Gradio endpoints that read or write files; closed unless ``allow_uploads``.
GRADIO_FILE_PREFIXES = (
    "/gradio_api/upload",
    "/gradio_api/file=",
    "/gradio_api/file/",
    "/gradio_api/proxy=",
    "/gradio_api/process_recording",
    "/gradio_api/stream/",
    "/gradio_api/vibe",
    "/gradio_api/undo-vibe",
    "/file=",
)
# Exempt from the key and the rate limit: cheap, read-only, and what load balancers poll.
RATE_EXEMPT = ("/api/v1/health", "/api/v1/openapi.json")

_ORIGIN = re.compile(r"^https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape of every JSON endpoint."""
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "invalid_request_error",
        429: "rate_limit_error",
    }.get(status, "server_error" if status >= 500 else "invalid_request_error")
    err: dict[str, Any] = {"type": kind, "code": code, "message": message}
    err.update(extra)
    return {"error": err}


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: Sequence[tuple[str, str]] = ()
) -> None:
    """Send a whole JSON response from ASGI middleware."""
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    raw = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(payload)).encode()),
    ] + [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


# --- configuration parsing ---------------------------------------------------------------------


def split_list(value: str) -> list[str]:
    """``"a, b c"`` → ``["a", "b", "c"]`` (commas or spaces)."""
    return [part for part in re.split(r"[\s,]+", value.strip()) if part]


def parse_origins(value: str, setting: str) -> list[str]:
    """Validated origins (``scheme://host[:port]``, no path); ``*`` allowed only for CORS."""
    origins: list[str] = []
    for item in split_list(value):
        origin = item.rstrip("/")
        if origin == "*" and setting == "cors_origins":
            origins.append(origin)
            continue
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"{setting}: {item!r} is not an origin; write scheme://host[:port], e.g. "
                "https://portal.example.org (several: comma-separated)"
            )
        origins.append(origin)
    return origins


def api_keys(settings: Settings) -> list[str]:
    return split_list(settings.api_key)


# --- API key -----------------------------------------------------------------------------------


def presented_key(request_headers: Any) -> str | None:
    """The key a request carries: ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``."""
    key = request_headers.get(API_KEY_HEADER.lower()) or request_headers.get(API_KEY_HEADER)
    if key:
        return str(key).strip()
    auth = request_headers.get("authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def key_matches(key: str | None, keys: Iterable[str]) -> int | None:
    """Index of the configured key ``key`` equals (constant-time compare), else None."""
    if not key:
        return None
    found: int | None = None
    for i, k in enumerate(keys):
        if hmac.compare_digest(key.encode("utf-8"), k.encode("utf-8")) and found is None:
            found = i
    return found


RouteKind = Literal["open", "api", "page"]


def normalized_path(path: str) -> str:
    """``path`` with runs of slashes collapsed (``//gradio_api//call/chat`` is classified as the
    route it may still reach)."""
    return re.sub(r"/{2,}", "/", path)


def route_kind(method: str, path: str) -> RouteKind:
    """Which rule a request falls under. Pure.

    ``api``: the JSON API and the OpenAI-compatible API (key only, when one is set). ``page``:
    what the chat page and the widget call (the widget API, Gradio's non-read endpoints): a key,
    or a browser on one of the public origins. ``open``: everything else (pages, assets, health).
    """
    path = normalized_path(path)
    if method == "OPTIONS" or path in RATE_EXEMPT:
        return "open"
    if path.startswith(API_PREFIXES):
        return "api"
    if path.startswith(WIDGET_API_PREFIX):
        return "page"
    if path.startswith(GRADIO_API_PREFIX) and method not in READ_METHODS:
        return "page"
    return "open"


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def origin_allowed(origin: str, host: str, public_origins: Sequence[str]) -> bool:
    """Whether a browser's ``Origin`` is one of the public origins (none configured: the
    server's own host, as the request's ``Host`` names it). Pure."""
    origin = origin.rstrip("/")
    if public_origins:
        return origin in public_origins
    return bool(host) and origin.split("://", 1)[-1] == host


def authorize(
    method: str,
    path: str,
    headers: Mapping[str, str],
    keys: Sequence[str],
    public_origins: Sequence[str] = (),
) -> Refusal | None:
    """The one authorization rule of every route that answers; None lets the request pass. Pure.

    With keys configured, an ``api`` route needs a valid key; a ``page`` route needs a valid key
    or an ``Origin`` among the public origins (a request without one is not the widget). Without
    keys, a ``page`` route still refuses a browser from another origin. ``headers`` has lower-case
    names.
    """
    kind = route_kind(method, path)
    if kind == "open":
        return None
    origin = headers.get("origin")
    if keys and key_matches(presented_key(headers), keys) is not None:
        return None
    if kind == "page" and origin is not None:
        if origin_allowed(origin, headers.get("host", ""), public_origins):
            return None
        return Refusal(
            403,
            "cross_origin",
            "The chat page and the widget answer their own pages only "
            "(REPORTQA_PUBLIC_ORIGINS lists the origins they are served from).",
        )
    if not keys:
        return None
    if presented_key(headers) is None:
        where = "" if kind == "api" else " (or open it from this server's chat page or widget)"
        return Refusal(
            401,
            "invalid_api_key",
            f"This endpoint needs a key: send it in the {API_KEY_HEADER} header "
            f"(or as Authorization: Bearer KEY){where}.",
        )
    return Refusal(401, "invalid_api_key", "The API key is not valid.")


# --- signed preview URLs ---------------------------------------------------------------------

# A page preview is an <img>, which cannot send a key: its URL carries an expiry and an HMAC of
# path, passage and expiry instead. An hour covers reading an answer's sources in one sitting.
PREVIEW_URL_TTL_S = 3600
PREVIEW_PATH = re.compile(r"^/api/v1/collections/[^/]+/documents/.+/pages/\d+\.png$")


class PreviewSigner:
    """Signs page-preview URLs with a secret of this server process (a restart voids them)."""

    def __init__(self, secret: bytes | None = None, ttl_s: int = PREVIEW_URL_TTL_S) -> None:
        self.secret = secret or secrets.token_bytes(32)
        self.ttl_s = ttl_s

    def _mac(self, path: str, chunk: str, expires: int) -> str:
        message = f"{path}\n{chunk}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def query(self, path: str, chunk: str, now: float | None = None) -> str:
        """The query string (``chunk=…&exp=…&sig=…``) that lets ``path`` (decoded, as routed)
        be fetched without a key until the expiry."""
        expires = int(now if now is not None else time.time()) + self.ttl_s
        params = {"chunk": chunk, "exp": str(expires), "sig": self._mac(path, chunk, expires)}
        return urlencode(params, quote_via=quote)

    def valid(self, method: str, path: str, query: str, now: float | None = None) -> bool:
        """Whether a request is a GET of a preview with an unexpired, matching signature."""
        if method not in ("GET", "HEAD") or not PREVIEW_PATH.match(path):
            return False
        params = parse_qs(query, keep_blank_values=True)
        try:
            (chunk,), (expires_text,), (sig,) = (params.get(k, [""]) for k in ("chunk", "exp", "sig"))
            expires = int(expires_text)
        except ValueError:
            return False
        if expires < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(sig.encode(), self._mac(path, chunk, expires).encode())


# Admin routes: the admin key (``Authorization: Bearer``) opens them where an API key is set too,
# so the chat's admin panel needs one key only.
ADMIN_PATH = re.compile(r"^/api/v1/(collections/[^/]+/documents(/.*)?|jobs/[^/]+)$")


class AuthorizationMiddleware:
    """Applies :func:`authorize` to every request before any route (FastAPI, widget or Gradio)
    sees it; refusals are JSON errors (401 with ``WWW-Authenticate: Bearer``, or 403).

    Two ways past an API key besides the key itself: a signed preview URL (``signer``), and the
    admin key on the admin routes (:data:`ADMIN_PATH`)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, signer: PreviewSigner | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.keys = api_keys(settings)
        self.public_origins = parse_origins(settings.public_origins, "public_origins")
        self.signer = signer

    def _passes(self, scope: Scope, headers: Mapping[str, str]) -> bool:
        path = normalized_path(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        if self.signer is not None and self.signer.valid(scope["method"], path, query):
            return True
        from server.uploads import admin_refusal

        return (
            ADMIN_PATH.match(path) is not None
            and admin_refusal(self.settings, headers.get("authorization")) is None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = authorize(scope["method"], scope["path"], headers, self.keys, self.public_origins)
        if refusal is not None and self._passes(scope, headers):
            refusal = None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        extra = [("WWW-Authenticate", "Bearer")] if refusal.status == 401 else []
        await send_json(
            send, refusal.status, error_body(refusal.status, refusal.code, refusal.message), extra
        )


# --- rate limit --------------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets per client: ``per_minute`` requests, refilled continuously. Thread-safe."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic, max_clients: int = 10000):
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, client: str) -> float:
        """Take one token for ``client``: 0.0 when allowed, else seconds until the next token."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= self.max_clients:
                    self._prune(now)
                bucket = self._buckets[client] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(
                float(self.per_minute), bucket.tokens + (now - bucket.stamp) * self.rate
            )
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [
            c
            for c, b in self._buckets.items()
            if b.tokens + (now - b.stamp) * self.rate >= self.per_minute
        ]
        for c in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[c]


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1"))
    return None


def client_id(scope: Scope, keys: Sequence[str], trust_proxy: bool) -> str:
    """Who a request counts against: a valid API key, else the client address."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
    idx = key_matches(presented_key(headers), keys)
    if idx is not None:
        return f"key:{hashlib.sha256(keys[idx].encode()).hexdigest()[:16]}"
    if trust_proxy:
        # The rightmost entry is the one our own proxy appended; those left of it are whatever
        # the client sent, so counting by them would let every request pick a fresh bucket.
        forwarded = [part.strip() for part in headers.get("x-forwarded-for", "").split(",")]
        if forwarded[-1]:
            return "ip:" + forwarded[-1]
    client = scope.get("client")
    return "ip:" + (str(client[0]) if client else "unknown")


def rate_limited_note(retry_s: int) -> str:
    """The chat's message for a rate-limited question, in both languages, with the wait. Pure."""
    return (
        f"요청이 너무 많습니다. {retry_s}초 뒤에 다시 질문해 주세요. · "
        f"Too many questions at once: ask again in {retry_s} s."
    )


class RateLimitMiddleware:
    """429 with ``Retry-After`` once a client spends its per-minute budget on the API or chat.

    The client is the TCP peer (``scope["client"]``): run uvicorn with ``proxy_headers`` off unless
    ``trust_proxy_headers`` is set (see :func:`server.background.uvicorn_options`), or it would
    take the peer from a forged ``X-Forwarded-For``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.keys = api_keys(settings)
        self.trust_proxy = settings.trust_proxy_headers

    @staticmethod
    def applies(method: str, path: str) -> bool:
        """Every route the authorization rule covers (all that answer) is rate limited."""
        return route_kind(method, path) != "open"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.hit(client_id(scope, self.keys, self.trust_proxy))
        if wait > 0:
            retry = max(1, math.ceil(wait))
            body = error_body(
                429,
                "rate_limited",
                f"Too many requests: the limit is {self.limiter.per_minute} per minute "
                f"per client. Try again in {retry} s.",
            )
            if normalized_path(scope["path"]).startswith(GRADIO_API_PREFIX):
                body["detail"] = rate_limited_note(retry)  # what the chat page's toast shows
            await send_json(send, 429, body, [("Retry-After", str(retry))])
            return
        await self.app(scope, receive, send)


# --- request size ------------------------------------------------------------------------------


UPLOAD_PATH = re.compile(r"^/api/v1/collections/[^/]+/documents$")


class BodyLimitMiddleware:
    """413 for request bodies over ``max_request_bytes`` (by Content-Length, or counted).

    Bodies without a Content-Length are read up to the limit here and replayed to the app.
    Gradio's own posts carry the whole chat history, so they get at least ``GRADIO_MIN_BYTES``;
    its upload endpoint, when opened, is left to Gradio's ``max_file_size``.
    """

    GRADIO_MIN_BYTES = 1 << 20
    DRAIN_MAX_BYTES = 8 << 20

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.api_limit = settings.max_request_bytes
        self.skip_uploads = settings.allow_uploads

    def _too_large(self, limit: int) -> dict[str, Any]:
        return error_body(
            413,
            "request_too_large",
            f"The request body is larger than {limit} bytes; send less.",
            limit_bytes=limit,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if self.skip_uploads and normalized_path(scope["path"]).startswith("/gradio_api/upload"):
            await self.app(scope, receive, send)
            return
        limit = self.api_limit
        if scope["path"].startswith("/gradio_api/"):
            limit = max(limit, self.GRADIO_MIN_BYTES)
        if scope["method"] == "POST" and UPLOAD_PATH.match(normalized_path(scope["path"])):
            await self.app(scope, receive, send)  # UploadGuardMiddleware: after the rate limit
            return
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_json(
                    send, 400, error_body(400, "bad_content_length", "Bad Content-Length.")
                )
                return
            if declared > limit:
                if declared <= self.DRAIN_MAX_BYTES:  # read it first: clients see the 413,
                    await _drain(receive)  # not a connection reset mid-upload
                await send_json(send, 413, self._too_large(limit))
                return
            await self.app(scope, _counting(receive, declared), send)
            return
        # No Content-Length (chunked): buffer up to the limit, then replay.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await send_json(send, 413, self._too_large(limit))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([replay], receive), send)


class UploadGuardMiddleware:
    """Document uploads (server/uploads.py): refused without the admin key before a byte of the
    files is read, then up to ``MAX_UPLOAD_FILES`` × ``max_file_mb`` by Content-Length (a longer
    body is cut off). Installed inside the rate limit and the API-key check."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        from server.uploads import MAX_UPLOAD_FILES

        self.app = app
        self.settings = settings
        self.limit = int(settings.max_file_mb * (1 << 20)) * MAX_UPLOAD_FILES + (1 << 20)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and UPLOAD_PATH.match(normalized_path(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        from server.uploads import admin_refusal

        refused = admin_refusal(self.settings, _header(scope, b"authorization"))
        if refused is not None:
            await send_json(send, refused.status, error_body(refused.status, refused.code, str(refused)))
            return
        length = _header(scope, b"content-length")
        if length is None or not length.isdigit():
            await send_json(
                send, 411, error_body(411, "length_required", "Send the upload with a Content-Length.")
            )
            return
        if int(length) > self.limit:
            await send_json(send, 413, error_body(413, "request_too_large",
                            f"The upload is larger than {self.limit} bytes; send fewer or smaller files.",
                            limit_bytes=self.limit))
            return
        await self.app(scope, _counting(receive, int(length)), send)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _counting(receive: Receive, declared: int) -> Receive:
    """Guard against a body longer than its Content-Length: treat the excess as a disconnect."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max(declared, 0):
                return {"type": "http.disconnect"}
        return message

    return wrapped


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def wrapped() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return wrapped


# --- Gradio file endpoints ---------------------------------------------------------------------


class ClosedFilesMiddleware:
    """404 for Gradio's upload and file-serving endpoints unless ``allow_uploads`` is set."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.closed = not settings.allow_uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.closed
            and scope["type"] == "http"
            and normalized_path(scope["path"]).startswith(GRADIO_FILE_PREFIXES)
        ):
            await send_json(
                send,
                404,
                error_body(
                    404,
                    "files_closed",
                    "File upload and file access are turned off on this server "
                    "(REPORTQA_ALLOW_UPLOADS=1 opens them).",
                ),
            )
            return
        await self.app(scope, receive, send)


# --- headers: CSP, frame-ancestors, CORS -------------------------------------------------------


def frame_ancestors_value(settings: Settings) -> str:
    """``'self'`` plus the configured embedding origins."""
    return " ".join(["'self'", *parse_origins(settings.frame_ancestors, "frame_ancestors")])


def widget_csp(settings: Settings) -> str:
    """The widget's policy: its own scripts and styles only, fetches to itself, frameable by the
    configured origins. No inline script can run, so even an unescaped passage could not."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {frame_ancestors_value(settings)}"
    )


def page_csp(settings: Settings) -> str:
    """The chat page's policy (Gradio's pages and everything else without a policy of its own):
    nothing from another host, no plugins, frameable by the configured origins. Gradio's page
    needs inline scripts and styles and ``'unsafe-eval'`` (measured in chromium: without it the
    page loads but never answers). Document text is kept harmless by escaping, not by this."""
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
        f"base-uri 'self'; form-action 'self'; frame-ancestors {frame_ancestors_value(settings)}"
    )


class SecurityHeadersMiddleware:
    """Headers on every response: nosniff, a referrer policy, a CSP (the widget sets its own
    stricter one; everything else gets :func:`page_csp`), and no CORS outside the API.

    Gradio answers any ``http://localhost:*`` origin with credentialed CORS headers; they are
    removed here from everything but the API paths, whose CORS ``ApiCorsMiddleware`` decides."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.csp = page_csp(settings).encode()
        self.same_origin_only = frame_ancestors_value(settings) == "'self'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api_path = normalized_path(scope["path"]).startswith(API_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if api_path or not k.lower().startswith(b"access-control-")
                ]
                names = {k.lower() for k, _ in headers}
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp))
                if self.same_origin_only and b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class ApiCorsMiddleware:
    """CORS for the API paths only, for the configured origins; nothing when none are configured
    (browsers then keep the API same-origin). The pages are governed by frame-ancestors instead."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        origins = parse_origins(settings.cors_origins, "cors_origins")
        self.cors: ASGIApp | None = None
        if origins:
            self.cors = CORSMiddleware(
                app,
                allow_origins=origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Content-Type", "Authorization", API_KEY_HEADER],
                expose_headers=["Retry-After"],
                allow_credentials=False,
                max_age=600,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.cors is not None
            and scope["type"] == "http"
            and normalized_path(scope["path"]).startswith(API_PREFIXES)
        ):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)
