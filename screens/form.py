"""A modal form: labelled fields validated as you type, errors under the field, ctrl+s saves.

Used for the phone intake, contact, transfer and close prompts. What the rep is
typing is available as `values()` so a dropped line can save it as a draft.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea


@dataclass
class FieldSpec:
    name: str
    label: str
    value: str = ""
    required: bool = False
    placeholder: str = ""
    validate: Callable[[str], str | None] | None = None  # returns an error sentence or None
    choices: list[tuple[str, str]] | None = None          # (label, value) -> a Select
    multiline: bool = False


class FormDialog(ModalScreen):
    """Dismisses with the values dict when saved, None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="form.submit"),
    ]

    def __init__(self, title: str, fields: list[FieldSpec], submit: Callable[[dict], object] | None = None,
                 form_id: str = "form", hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit_fn = submit
        self.form_id = form_id
        self.hint = hint or "ctrl+s save · tab next field · escape cancel"

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Label(self.title_text, classes="title", markup=False)
            for f in self.fields:
                yield Label(f.label + (" *" if f.required else ""), markup=False)
                if f.choices:
                    yield Select(f.choices, value=f.value or f.choices[0][1], allow_blank=False, id=f"f-{f.name}")
                elif f.multiline:
                    area = TextArea(f.value, id=f"f-{f.name}", soft_wrap=True, show_line_numbers=False)
                    area.styles.height = 5
                    yield area
                else:
                    yield Input(f.value, placeholder=f.placeholder, id=f"f-{f.name}", compact=True)
                yield Static("", classes="error", id=f"e-{f.name}", markup=False)
            yield Static("", classes="error", id="e-form", markup=False)
            yield Label(self.hint, classes="hint", markup=False)

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#f-{self.fields[0].name}").focus()

    # ------------------------------------------------------------ values
    def values(self) -> dict:
        out = {}
        for f in self.fields:
            w = self.query_one(f"#f-{f.name}")
            if isinstance(w, Select):
                out[f.name] = "" if w.value is Select.NULL else str(w.value)
            elif isinstance(w, TextArea):
                out[f.name] = w.text
            else:
                out[f.name] = w.value
        return out

    def set_values(self, values: dict) -> None:
        for f in self.fields:
            if f.name not in values:
                continue
            w = self.query_one(f"#f-{f.name}")
            if isinstance(w, TextArea):
                w.text = values[f.name]
            elif isinstance(w, Input):
                w.value = values[f.name]
            elif isinstance(w, Select) and values[f.name]:
                try:
                    w.value = values[f.name]
                except Exception:
                    pass

    def show_error(self, field: str | None, message: str) -> None:
        target = f"#e-{field}" if field and any(f.name == field for f in self.fields) else "#e-form"
        self.query_one(target, Static).update(message)
        if field and any(f.name == field for f in self.fields):
            self.query_one(f"#f-{field}").focus()

    def _check(self, f: FieldSpec, value: str) -> str | None:
        if f.required and not value.strip():
            return f"{f.label} is required."
        if f.validate and value.strip():
            return f.validate(value)
        return None

    # ------------------------------------------------------------ events
    def on_input_changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "")[2:]
        spec = next((f for f in self.fields if f.name == name), None)
        if spec is None:
            return
        error = self._check(spec, event.value) if event.value.strip() else None
        self.query_one(f"#e-{name}", Static).update(error or "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        names = [f.name for f in self.fields]
        name = (event.input.id or "")[2:]
        if name == names[-1]:
            self.action_submit()
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        from models.errors import DomainError, ValidationError, database_error_text, database_errors

        values = self.values()
        first_bad = None
        for f in self.fields:
            error = self._check(f, values[f.name])
            self.query_one(f"#e-{f.name}", Static).update(error or "")
            if error and first_bad is None:
                first_bad = f.name
        if first_bad:
            self.query_one(f"#f-{first_bad}").focus()
            return
        result = values
        if self.submit_fn is not None:
            try:
                result = self.submit_fn(values)
            except ValidationError as exc:
                self.show_error(exc.field, str(exc))
                return
            except DomainError as exc:
                self.show_error(None, str(exc))
                return
            except database_errors() as exc:  # the database went away: keep the form and what was typed
                self.show_error(None, f"Not saved: the database is unreachable ({database_error_text(exc)}). "
                                      "Your text is kept; try ctrl+s again in a moment.")
                return
        self.dismiss(result if result is not None else values)
