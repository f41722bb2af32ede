"""Converting an application (`v` on the inbox and in the application's detail): a dialog shows what the
conversion makes (models.usecases.convert.conversion_preview, read in a worker): the known client or a new
card, the likely duplicates to use instead (chosen from a list), the deal's title and its proposed lines
(quantity and unit price editable; quantity 0 drops a line). Enter converts (models.usecases.convert.convert)
and the dialog dismisses with the Conversion; the inbox then opens the client card on the new deal."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import LoadingScreen
from tui.actions import bindings

NEW_CARD = "new"


class ClientChoices(OptionList):
    """The cards to choose from, with the list keys of tui.actions (j/k, g/G, page keys, enter)."""

    BINDINGS = bindings(open_label="Convert")


def client_options(p) -> list[Option]:
    """The cards the conversion may use: the known client (else a new card), then the likely duplicates;
    a card that is not the rep's to see is listed, disabled, with whose it is."""
    from models.text import one_line

    def card(c, why: str) -> Option:
        if not c.visible:
            return Option(Text(f"#{c.id} {why}: {c.owner or 'someone else'}'s card (not yours to use)"),
                          id=str(c.id), disabled=True)
        return Option(Text(one_line(f"#{c.id} {c.name} ({why}, owner {c.owner or '-'})", 70)), id=str(c.id))

    out = []
    if p.known_client is not None:
        out.append(card(p.known_client, "known client"))
    else:
        contact = " ".join(x for x in (p.email, p.phone) if x)
        out.append(Option(Text(one_line(f"A new card: {p.new_client_name}" + (f"  {contact}" if contact else ""), 70)),
                          id=NEW_CARD))
    out.extend(card(d, f"likely duplicate, {d.reason}") for d in p.duplicates)
    return out


class ConvertDialog(LoadingScreen, ModalScreen):
    """Dismisses with the models.usecases.convert.Conversion made, or None when the rep cancelled."""

    DEFAULT_CSS = """
    ConvertDialog #cv-client { height: auto; max-height: 5; }
    ConvertDialog #cv-lines { height: auto; }
    ConvertDialog .cv-line { height: 1; }
    ConvertDialog .cv-name { width: 1fr; }
    ConvertDialog .cv-qty { width: 8; }
    ConvertDialog .cv-price { width: 13; }
    ConvertDialog .cv-head { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="convert.cancel"),
        Binding("ctrl+s", "convert", "Convert", id="convert.submit"),
    ]

    def __init__(self, app_id: int) -> None:
        super().__init__()
        self.app_id = app_id
        self.preview = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="cv-scroll"):
            yield Label(f"Convert application {self.app_id} into a client card and a deal", classes="title",
                        markup=False)
            yield Static(Text("reading the application …"), id="cv-from")
            yield Label("Client card (j/k or arrows choose)", markup=False)
            yield ClientChoices(id="cv-client", compact=True)
            yield Label("Deal title", markup=False)
            yield Input(id="cv-title", compact=True)
            yield Static("", id="cv-lines-head", classes="cv-head")
            yield Vertical(id="cv-lines")
            yield Static("", classes="error", id="cv-error", markup=False)
            yield Label("enter converts · tab: next field · quantity 0 drops a line · esc cancels", classes="hint",
                        markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    def fetch(self):
        from models.usecases.convert import conversion_preview

        return conversion_preview(self.app.rep, self.app_id)

    def on_data_changed(self, message) -> None:
        """Another session's change does not repaint the dialog over what the rep is editing."""
        message.stop()
        message.prevent_default()

    def load_failed(self, error: str) -> None:
        self.app.notify(error, severity="error", timeout=6, markup=False)
        self.dismiss(None)

    def paint(self, p) -> None:
        from models.clock import shown
        from models.money import plain_amount
        from models.text import one_line, safe

        self.preview = p
        tz = self.app.rep.timezone
        t = Text()
        t.append(one_line(" ".join(x for x in (p.name, f"<{p.email}>" if p.email else "", p.phone) if x), 60),
                 style="bold")
        t.append(f"\n{p.channel}, received {shown(p.received_at, tz, self.app.now())}: ")
        t.append(one_line(safe(p.text), 120))
        self.query_one("#cv-from", Static).update(t)
        options = self.query_one("#cv-client", OptionList)
        options.clear_options()
        options.add_options(client_options(p))
        options.highlighted = 0
        self.query_one("#cv-title", Input).value = p.title
        self.query_one("#cv-lines-head", Static).update(
            Text(f"{f'Lines (total {p.total_text})':<44}{'quantity':<9}unit price" if p.lines else
                 "No catalog product found in the application: the deal starts without lines (l on the card adds)."))
        box = self.query_one("#cv-lines", Vertical)
        box.remove_children()
        for i, line in enumerate(p.lines):
            box.mount(Horizontal(
                Label(Text(one_line(f"{line.sku} {line.name}", 44)), classes="cv-name"),
                Input(str(line.quantity), id=f"cv-q-{i}", classes="cv-qty", compact=True),
                Input(plain_amount(line.unit_price_minor, line.currency), id=f"cv-p-{i}", classes="cv-price",
                      compact=True),
                Label(Text(f" {line.currency}"), markup=False),
                classes="cv-line"))
        options.focus()

    # ------------------------------------------------------------ converting
    def error(self, text: str, focus: str | None = None) -> None:
        self.query_one("#cv-error", Static).update(text)
        if focus:
            self.query_one(f"#{focus}").focus()

    def chosen_client(self) -> int | None:
        options = self.query_one("#cv-client", OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return None if option.id == NEW_CARD or option.disabled else int(option.id)

    def lines(self) -> list[dict] | None:
        """The lines as edited (None after an error was shown)."""
        from models.money import parse_amount

        out = []
        for i, line in enumerate(self.preview.lines):
            qty = self.query_one(f"#cv-q-{i}", Input).value.strip()
            if not qty.isdigit() or int(qty) > 1_000_000:
                self.error(f"{line.sku}: the quantity is a whole number (0 drops the line).", f"cv-q-{i}")
                return None
            if int(qty) == 0:
                continue
            try:
                price = parse_amount(self.query_one(f"#cv-p-{i}", Input).value, line.currency)
            except ValueError as exc:
                self.error(f"{line.sku}: {exc}.", f"cv-p-{i}")
                return None
            out.append(dict(sku=line.sku, quantity=int(qty), unit_price_minor=price))
        return out

    def action_convert(self) -> None:
        from models.errors import DomainError, ValidationError, database_error_text, database_errors
        from models.usecases.convert import convert

        if self.preview is None:
            return
        title = self.query_one("#cv-title", Input).value.strip()
        if not title:
            self.error("The deal needs a title.", "cv-title")
            return
        lines = self.lines()
        if lines is None:
            return
        try:
            done = convert(self.app.rep, self.app_id, self.app.now(), client_id=self.chosen_client(), title=title,
                           lines=lines)
        except ValidationError as exc:
            self.error(str(exc), "cv-title" if exc.field == "title" else None)
            return
        except DomainError as exc:
            self.error(str(exc))
            return
        except database_errors() as exc:
            self.error(f"Not converted: the database is unreachable ({database_error_text(exc)}).")
            return
        self.dismiss(done)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_convert()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_convert()

    def action_cancel(self) -> None:
        self.dismiss(None)
