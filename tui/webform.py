"""The website form endpoint: `repdesk intake serve --port N` (aiohttp, loopback by default).

POST /applications (or /) with a form (urlencoded or multipart) or JSON carrying the same keys as an
intake line: 201 {"id": N}. The server sets `channel` ("website") and `received_at` (now): a sender
cannot choose them. Every refusal is a 4xx {"error": sentence}, never a 500:

- 400 a bad value or a body that is not a JSON object (nesting deeper than 32 levels included);
- 401 no valid form token, when the setting `webform.tokens` names any (models/formtokens.py): the token
  comes as `Authorization: Bearer TOKEN`, an `X-Repdesk-Token` header or a `token` field;
- 408 a body not sent within BODY_TIMEOUT seconds (a connection that never finishes its headers is
  closed after HEADER_TIMEOUT seconds);
- 413 larger than 64 KiB; 429 more than RATE_LIMIT requests a minute from one address.
"""
from __future__ import annotations

import asyncio
import collections
import time

from aiohttp import web

MAX_BODY = 64 * 1024
HEADER_TIMEOUT = 10.0   # seconds a connection may take to send a request's headers (or stay idle)
BODY_TIMEOUT = 10.0     # seconds the body may take once the headers are in
RATE_LIMIT = 30         # requests per address per RATE_WINDOW seconds
RATE_WINDOW = 60.0
SERVER_KEYS = ("channel", "received_at", "token")


class Unauthorized(Exception):
    """The form asks for a token and the request has none of ours."""


def request_token(request) -> str | None:
    """The token a request carries in its headers (the body's `token` field is read with the body)."""
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("X-Repdesk-Token") or None


def _store(actor: str, data: dict, token: str | None = None) -> int:
    """Check the form's token, then validate and store one application in this worker thread's own
    connection."""
    from models import formtokens
    from models.clock import utcnow
    from models.engine import database
    from models.inbox import add_application
    from models.intake import parse_line
    import json

    now = utcnow()
    if token is None and isinstance(data.get("token"), str):
        token = data["token"]
    data = {k: v for k, v in data.items() if v not in (None, "") and k not in SERVER_KEYS}
    data["channel"] = "website"
    with database.connection_context():
        if formtokens.required() and formtokens.form_of(token) is None:
            raise Unauthorized()
        parsed = parse_line(json.dumps(data), now)
        parsed["received_at"] = now
        return add_application(actor, parsed, now)


def _error(status: int, sentence: str) -> web.Response:
    return web.json_response({"error": sentence}, status=status)


class RateLimit:
    """At most LIMIT requests per WINDOW seconds from one address (in memory, per server process)."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW):
        self.limit, self.window = limit, window
        self.seen: dict[str, collections.deque] = {}

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        q = self.seen.setdefault(address, collections.deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(self.seen) > 10000:  # forget idle addresses
            for k in [k for k, v in self.seen.items() if not v and k != address]:
                del self.seen[k]
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


def make_app(actor: str = "web", *, body_timeout: float = BODY_TIMEOUT, rate_limit: int = RATE_LIMIT,
             rate_window: float = RATE_WINDOW) -> web.Application:
    limiter = RateLimit(rate_limit, rate_window)

    async def create(request: web.Request) -> web.Response:
        from models.errors import DomainError
        from models.intake import loads

        if not limiter.allow(request.remote or "?"):
            return _error(429, f"too many requests from this address: at most {rate_limit} "
                               f"in {int(rate_window)} seconds; try again later")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "the request is larger than 64 KiB")
        try:
            if request.content_type == "application/json":
                raw = await asyncio.wait_for(request.read(), body_timeout)
                data = loads(raw or b"null")
                if not isinstance(data, dict):
                    return _error(400, "the JSON body must be an object")
            else:
                form = await asyncio.wait_for(request.post(), body_timeout)
                data = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        except asyncio.TimeoutError:
            return _error(408, f"the request body did not arrive within {body_timeout:g} seconds")
        except web.HTTPRequestEntityTooLarge:
            return _error(413, "the request is larger than 64 KiB")
        except DomainError as exc:
            return _error(400, f"the body is not valid JSON: {exc}")
        except (ValueError, UnicodeDecodeError):
            return _error(400, "the body is not a valid form or JSON")
        try:
            new_id = await asyncio.to_thread(_store, actor, data, request_token(request))
        except Unauthorized:
            return _error(401, "this form needs its token (Authorization: Bearer TOKEN, an X-Repdesk-Token "
                               "header or a token field); the one given is missing or not valid")
        except DomainError as exc:
            return _error(400, str(exc))
        return web.json_response({"id": new_id}, status=201)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    @web.middleware
    async def sentences(request: web.Request, handler):
        """aiohttp's own refusals (404, 405, 413 ...) as a JSON sentence too."""
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status >= 400:
                return _error(exc.status, (exc.reason or "refused").lower())
            raise

    app = web.Application(client_max_size=MAX_BODY, middlewares=[sentences])
    app.router.add_post("/applications", create)
    app.router.add_post("/", create)
    app.router.add_get("/health", health)
    return app


def server_options(header_timeout: float = HEADER_TIMEOUT) -> dict:
    """What the HTTP server itself is given: a connection that sends nothing, or never finishes its
    headers, is closed after HEADER_TIMEOUT seconds (aiohttp's keep-alive timer runs from the start
    of a connection)."""
    return dict(keepalive_timeout=header_timeout)


def serve(host: str, port: int, actor: str = "web") -> None:
    from models.engine import database

    database.close()  # each request opens its own connection in a worker thread
    print(f"repdesk: accepting applications on http://{host}:{port}/applications", flush=True)
    web.run_app(make_app(actor), host=host, port=port, print=None, handle_signals=True, **server_options())
