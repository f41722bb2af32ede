"""Issue 12: every READ command, as every role, against every record kind - and the leaks counted (expected 0).

Each record carries marker words (name, e-mail, phone digits, amounts, notes) that appear nowhere else. Every
read command of `repdesk --help` runs in-process through `tui.cli.main` (plain and --json) as each role; a
marker of a record the role may not see, found in what the command printed (stdout or stderr), is a leak.
Both engines. A new command must be classified below (READ or NOT_READ), so none is left out silently.
"""
from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

NORTH_OWNED = "north"      # ana's records: ana, her manager mia, the director dan, the admin root
OPEN = "open"              # an open application: in everyone's inbox (every rep or above)
QUARANTINE = "quarantine"  # a refused intake line: managers and up

# Who may see which kind of record (a login missing from a set must not see its markers).
ALLOWED = {
    NORTH_OWNED: {"ana", "mia", "dan", "root"},
    OPEN: {"ana", "ben", "sol", "mia", "max", "dan", "root"},
    QUARANTINE: {"mia", "max", "dan", "root"},
}
ROLES = {  # login: what it is
    "ana": "rep who owns the records (North)",
    "ben": "rep of the same team (North)",
    "sol": "rep of another team (South)",
    "mia": "manager of the team (North)",
    "max": "manager of another team (South)",
    "dan": "director",
    "root": "admin",
    "ghost": "a login that is not a rep",
}

# The commands that only show (by their words in `repdesk --help`), with the arguments that point them at
# the records; {app}, {open}, {client}, {deal}, {invoice}, {order} are the records' ids.
READ = {
    "inbox": [[], ["--mine"], ["--search", "Zorbacontact"], ["--search", "Novaopen"]],
    "show": [["{app}"], ["{open}"]],
    "convert": [["{app}", "--preview"], ["{open}", "--preview"]],
    "moves": [[]],
    "quarantine": [[]],
    "clients": [[], ["--search", "Quillmarker"]],
    "client show": [["{client}"]],
    "client duplicates": [["{client}"]],
    "activities": [["--client", "{client}"]],
    "tasks": [[]],
    "deal show": [["{deal}"]],
    "stage list": [[]],
    "lost-reasons": [[]],
    "invoice show": [["{invoice}"]],
    "invoices": [[], ["--overdue"]],
    "approvals": [[]],
    "refunds": [["--all"]],
    "agreement show": [["--deal", "{deal}"]],
    "reminders": [[]],
    "orders": [[]],
    "order show": [["{order}"]],
    "export clients": [["--format", "csv"], ["--format", "vcf"]],
    "export orders": [["--format", "csv"], ["--format", "json"]],
    "audit": [[], ["--record", "client:{client}"], ["--record", "deal:{deal}"], ["--record", "application:{app}"],
              ["--record", "invoice:{invoice}"]],
    "report": [[]],
    "notices": [["--peek"]],
    "rep list": [[]],
    "config show": [[]],
    "scoring fit": [["--dry-run"]],
    "attainment": [[], ["--rep", "ana"], ["--team", "North"], ["--period", "2026-11"]],
    "quota list": [[]],
    "forecast": [[], ["--team", "North"], ["--period", "2026-11"]],
    "commission statement": [["ana", "--period", "2026-11"], ["ana", "--period", "2026-11", "--csv"]],
    "commission plan show": [["ana"]],
}
# Commands that change something (their role checks are tests/test_roles.py's), or show no record.
NOT_READ = {
    "init", "demo", "rep add", "rep away", "rep back", "import products", "import clients", "admin copy-db",
    "admin key add", "admin key list", "admin key remove", "config set", "claim", "contact", "transfer", "close",
    "sweep", "intake", "client add", "client set", "client merge", "client assign", "client lost", "activity add",
    "task add", "task done", "deal add", "deal set", "deal move", "deal lose", "deal line add", "deal line remove",
    "stage require", "stage unrequire", "stage stale", "stage skippable", "invoice add", "invoice approve-plan",
    "invoice reject-plan", "invoice cancel", "payment add", "payment followed-up", "note add", "note approve",
    "note reject", "refund paid", "agreement set", "agreement send", "agreement sign", "reminder send",
    "order create", "order cancel", "order ship", "order deliver", "quota set",
    "commission plan set", "stage probability", "rep bdr", "deal handoff", "scoring rescore",
}


def leaf_commands(parser) -> list[str]:
    out = []

    def walk(p, prefix):
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sp in action.choices.items():
                    if any(isinstance(a, argparse._SubParsersAction) for a in sp._actions):
                        walk(sp, prefix + [name])
                    else:
                        out.append(" ".join(prefix + [name]))

    walk(parser, [])
    return out


@pytest.fixture
def inproc(monkeypatch, capsys):
    """`repdesk ARGS` through tui.cli.main in this process, on the database the `db` fixture opened:
    (exit code, stdout, stderr)."""
    from tui import cli, dbopen

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(dbopen, "open_for", lambda *a, **k: None)

    def run(*argv: str):
        capsys.readouterr()
        try:
            code = cli.main(list(argv))
        except SystemExit as stop:
            code = stop.code
        got = capsys.readouterr()
        return code, got.out, got.err

    run.parser = parser
    return run


@pytest.fixture
def world(team, catalog, now):
    """One record of every kind, each with its own marker words."""
    from models import activities, clients, inbox, payments, pipeline
    from models.intake import intake_jsonl
    from models.orders import create_order
    from models.reps import add_rep

    ana = team["ana"]
    add_rep("admin", "max", "Max Manager", "manager", "South", now=now)
    # an open application, and one ana contacted (with a note)
    open_id = inbox.add_application("test", dict(channel="email", text="Novaopen asks for nets.", name="Novaopen Beta",
                                                 email="novaopen@leak.example", phone="+44 7700 900517",
                                                 received_at=now - timedelta(minutes=3)), now)
    app_id = inbox.add_application("test", dict(channel="email", text="Apptextmarker: 40 balls.",
                                                name="Zorbacontact Alpha", email="zorbac@leak.example",
                                                phone="+44 7700 900431", received_at=now - timedelta(minutes=5)), now)
    inbox.claim(ana, app_id, now)
    inbox.contact(ana, app_id, "call", now + timedelta(minutes=1), note="Contactnotemarker price")
    # a client (its old notes only in the audit trail), a deal with a line, an invoice, payments, an order, a note
    c = clients.add_client(ana, now, name="Quillmarker Club", email="quill@leak.example", phone="+447700900622",
                           company="Quillco", notes="Auditmarker old notes")
    clients.update_client(ana, c.id, {"notes": "Cardnotemarker"}, now)
    d = pipeline.add_deal(ana, c.id, "Dealtitlemarker nets", now)
    pipeline.add_line(ana, d.id, "BALL-PRO5", 1, now, price_minor=432187)
    inv = payments.issue_invoice(ana, d.id, now)
    payments.record_payment(ana, inv.id, 61139, now)
    payments.record_payment(ana, inv.id, 432187 - 61139, now)
    payments.upsert_agreement(ana, d.id, "Providesmarker nets", "Receivesmarker money", now)
    payments.sign_agreement(ana, d.id, now)
    o = create_order(ana, d.id, now, address="7 Leakmarker Road")
    payments.add_note(ana, inv.id, "credit", 5813, "Notereasonmarker", now)
    activities.add_task(ana, c.id, "Taskmarker call back", now + timedelta(days=1), now)
    # a refused intake line
    intake_jsonl("ana", '{"channel": "email", "name": "Quarmarker", "email": "quar@leak.example", "text": 5}\n',
                 "leak.jsonl", now)
    add_rep("admin", "root", "Root Admin", "admin", None, now=now)  # last: from now on reps are the admin's
    from models.tables import Invoice

    number = Invoice.get_by_id(inv.id).number
    markers = {
        NORTH_OWNED: ["Zorbacontact", "zorbac@leak", "900431", "Apptextmarker", "Contactnotemarker",
                      "Quillmarker", "quill@leak", "7700900622", "Quillco", "Auditmarker", "Cardnotemarker",
                      "Dealtitlemarker", "4321.87", "4,321.87", "432187", "611.39", "61139", "3,710.48", "3710.48",
                      "Providesmarker", "Receivesmarker", "Leakmarker", "Notereasonmarker", "58.13", "5813",
                      "Taskmarker", number],
        OPEN: ["Novaopen", "novaopen@leak", "900517"],
        QUARANTINE: ["Quarmarker", "quar@leak"],
    }
    ids = dict(app=app_id, open=open_id, client=c.id, deal=d.id, invoice=inv.id, order=o.id)
    return markers, ids


# other spellings of an amount (minor units, with or without the thousands comma): looked for, not required
VARIANTS = {"4321.87", "432187", "61139", "3,710.48", "3710.48", "5813"}


def _runs(ids):
    for command, variants in READ.items():
        for variant in variants:
            for as_json in (False, True):
                yield [*command.split(), *(a.format(**ids) for a in variant), *(["--json"] if as_json else [])]


def test_every_command_is_classified(inproc):
    commands = set(leaf_commands(inproc.parser))
    unclassified = sorted(commands - set(READ) - NOT_READ)
    assert unclassified == [], f"classify these commands in {__file__} (READ with arguments, or NOT_READ)"
    assert sorted(set(READ) - commands) == [] and sorted(NOT_READ - commands) == []


def test_no_read_command_leaks_a_record_to_a_role_that_may_not_see_it(world, inproc):
    markers, ids = world
    leaks, seen, crashes = [], {kind: set() for kind in markers}, []
    for argv in _runs(ids):
        for login in ROLES:
            code, out, err = inproc(*argv, "--as", login)
            text = out + err
            if "Traceback" in text or "unexpected error" in text:
                crashes.append(f"{' '.join(argv)} --as {login}: {err.strip()[:200]}")
            for kind, words in markers.items():
                for word in words:
                    if word in text:
                        if login in ALLOWED[kind]:
                            seen[kind].add(word)
                        else:
                            leaks.append(f"{login} ({ROLES[login]}) sees {kind} {word!r} in "
                                         f"`repdesk {' '.join(argv)}` (exit {code})")
    print(f"{len(leaks)} leak(s)", *leaks, sep="\n  ")
    assert crashes == [], "\n".join(crashes)
    assert leaks == [], f"{len(leaks)} leak(s):\n" + "\n".join(leaks)
    # the markers are real: those who may see a record do see each of its words somewhere
    for kind, words in markers.items():
        assert set(words) - seen[kind] <= VARIANTS, \
            (kind, sorted(set(words) - seen[kind]))


def test_refusals_name_neither_the_record_nor_its_owner(world, inproc):
    markers, ids = world
    for argv, noun, rid in ((["show", str(ids["app"])], "application", ids["app"]),
                            (["client", "show", str(ids["client"])], "client", ids["client"]),
                            (["deal", "show", str(ids["deal"])], "deal", ids["deal"]),
                            (["invoice", "show", str(ids["invoice"])], "invoice", ids["invoice"]),
                            (["order", "show", str(ids["order"])], "order", ids["order"]),
                            (["audit", "--record", f"client:{ids['client']}"], "client", ids["client"]),
                            (["audit", "--record", f"deal:{ids['deal']}"], "deal", ids["deal"]),
                            (["audit", "--record", f"application:{ids['app']}"], "application", ids["app"]),
                            (["convert", str(ids["app"]), "--preview"], "application", ids["app"]),
                            (["client", "duplicates", str(ids["client"])], "client", ids["client"]),
                            (["activities", "--client", str(ids["client"])], "client", ids["client"]),
                            (["agreement", "show", "--deal", str(ids["deal"])], "deal", ids["deal"])):
        for login in ("ben", "sol", "max"):
            code, out, err = inproc(*argv, "--as", login)
            assert (code, out, err.strip()) == (4, "", f"repdesk: There is no {noun} {rid}, or it is not yours."), \
                (argv, login, code, out, err)
        missing = [a if a != str(rid) else "987654" for a in argv]
        missing = [a.replace(f":{rid}", ":987654") for a in missing]
        code, out, err = inproc(*missing, "--as", "mia")
        assert (code, err.strip()) == (4, f"repdesk: There is no {noun} 987654, or it is not yours."), (missing, err)
