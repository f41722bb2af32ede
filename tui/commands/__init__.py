"""CLI commands, one module per area; each exposes register(subparsers, common)."""

MODULES = [
    "tui.commands.admin",
    "tui.commands.inbox",
    "tui.commands.intake",
    "tui.commands.clients",
    "tui.commands.payments",
    "tui.commands.orders",
    "tui.commands.audit",
    "tui.commands.clientio",
    "tui.commands.notices",
    "tui.commands.desk",
    "tui.commands.commission",
]
