"""`repdesk notices`: what happened that concerns me since I last looked (the workstation's header counter
and toasts, `!` on every main screen), with the times in my zone; looking marks them seen."""
from __future__ import annotations

from tui.commands.base import Context, whole_number


def register(sub, common) -> None:
    p = sub.add_parser("notices", help="what happened that concerns me since I last looked (marks them seen)",
                       parents=[common])
    p.add_argument("--peek", action="store_true", help="show them without marking them seen")
    p.add_argument("--limit", type=whole_number(1, 1000, "N"), default=50, metavar="N", help="at most N notices (default 50)")
    p.set_defaults(handler=cmd_notices)


def cmd_notices(ctx: Context) -> int:
    from models.reps import actor_of
    from models.usecases.notices import notices_json, notices_text, notices_view, open_notices

    actor = actor_of(ctx.actor)
    read = notices_view if ctx.args.peek else open_notices
    view = read(actor, ctx.now, limit=ctx.args.limit)
    ctx.emit(notices_json(view, ctx.tz), notices_text(view, ctx.tz))
    return 0
