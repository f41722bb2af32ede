"""The website form endpoint: `repdesk intake serve --port N` (aiohttp, loopback by default).

POST /applications (or /) with a form (urlencoded or multipart) or JSON carrying the same keys as an
intake line (channel defaults to "website"): 201 {"id": N}; a bad request: 400 {"error": reason}.
"""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

MAX_BODY = 64 * 1024


def _store(actor: str, data: dict) -> int:
    """Validate and store one application in this worker thread's own connection."""
    from models.clock import utcnow
    from models.engine import database
    from models.inbox import add_application
    from models.intake import parse_line

    now = utcnow()
    data = {k: v for k, v in data.items() if v not in (None, "")}
    data.setdefault("channel", "website")
    with database.connection_context():
        parsed = parse_line(json.dumps(data), now)
        return add_application(actor, parsed, now)


def make_app(actor: str = "web") -> web.Application:
    async def create(request: web.Request) -> web.Response:
        from models.errors import DomainError

        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "the request is larger than 64 KiB"}, status=413)
        try:
            if request.content_type == "application/json":
                raw = await request.read()
                if len(raw) > MAX_BODY:
                    return web.json_response({"error": "the request is larger than 64 KiB"}, status=413)
                data = json.loads(raw or b"null")
                if not isinstance(data, dict):
                    return web.json_response({"error": "the JSON body must be an object"}, status=400)
            else:
                form = await request.post()
                data = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "the body is not valid JSON"}, status=400)
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": "the request is larger than 64 KiB"}, status=413)
        try:
            new_id = await asyncio.to_thread(_store, actor, data)
        except DomainError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"id": new_id}, status=201)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/applications", create)
    app.router.add_post("/", create)
    app.router.add_get("/health", health)
    return app


def serve(host: str, port: int, actor: str = "web") -> None:
    from models.engine import database

    database.close()  # each request opens its own connection in a worker thread
    print(f"repdesk: accepting applications on http://{host}:{port}/applications", flush=True)
    web.run_app(make_app(actor), host=host, port=port, print=None, handle_signals=True)
