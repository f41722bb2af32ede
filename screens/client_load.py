"""How the client card is read: in a worker (models.usecases.card), several reloads asked for while one is
under way painted once, and what another session changed meanwhile taken in (an untouched card shows it
at once; a card with edits says what changed and keeps them). ClientCardScreen (screens/client.py)
provides show(), message(), client_edits() and deal_edits()."""
from __future__ import annotations

from screens.base import LoadingScreen
from tui.messages import DataChanged


class CardLoading(LoadingScreen):
    client_id: int
    deal_id: int | None
    card = None                  # the ClientCard painted
    _request: tuple = ()         # what the worker reads: set on the UI thread before each load
    _pending: dict | None = None  # the load under way: keep_edits, what to do once painted
    _recheck = False

    def versions(self) -> tuple:
        """The client's, the deal's and its agreement's versions, as painted."""
        return self.card.versions(self.deal_id) if self.card is not None else (None, None, None)

    def _leave(self) -> None:
        self.dismiss(None)  # not awaited: called from this screen's own message loop

    def reload(self, keep_edits: bool = True, then=None) -> None:
        """Read the card again (in a worker). With KEEP_EDITS the fields the rep changed keep what was
        typed; THEN runs once it is painted."""
        pending = self._pending or {"keep_edits": True, "then": []}
        pending["keep_edits"] = pending["keep_edits"] and keep_edits
        if then is not None:
            pending["then"].append(then)
        self._pending = pending
        self._request = ("card", self.app.rep, self.client_id, self.app.now())
        self.load()

    def after_load(self, fn) -> None:
        """Run FN now, or after the read under way is painted (so the paint does not undo it)."""
        if self._pending is not None:
            self._pending["then"].append(fn)
        else:
            fn()

    def fetch(self) -> object:
        from models.usecases.card import card_update, client_card

        kind, rep, client_id, now, *versions = self._request
        if kind == "meanwhile":
            return card_update(rep, client_id, now, *versions)
        return client_card(rep, client_id, now)

    def paint(self, data) -> None:
        from models.usecases.card import CardUpdate

        if isinstance(data, CardUpdate):
            self._pending = None
            self._took_in(data)
        else:
            pending, self._pending = self._pending or {"keep_edits": False, "then": []}, None
            self.show(data, keep_edits=pending["keep_edits"])
            for fn in pending["then"]:
                fn()
        if self._recheck:
            self._recheck = False
            self._check_meanwhile()

    def load_failed(self, error: str) -> None:
        kind = self._request[0] if self._request else "card"
        self._pending = None
        if self.card is None:  # not ours to see (any more), merged away, gone
            self.app.notify(error, severity="error", markup=False)
            self.call_after_refresh(self._leave)
        elif kind == "meanwhile":  # merged away, reassigned, gone: say so, keep what is on the screen
            self.message("This card is no longer yours to see or was merged away; your edits cannot be saved here.")
        else:
            self.message(error)

    def on_data_changed(self, message: DataChanged) -> None:
        """Another session wrote something: an untouched card shows it at once; a card with edits says
        what changed and keeps the edits (ctrl+r takes the change in)."""
        message.prevent_default()  # not LoadingScreen's plain reload
        self._check_meanwhile()

    def _check_meanwhile(self) -> None:
        if self.card is None or self._pending is not None:
            self._recheck = True  # a read is under way: look again once it is painted
            return
        version, deal_version, agreement_version = self.versions()
        self._request = ("meanwhile", self.app.rep, self.client_id, self.app.now(), version, self.deal_id,
                         deal_version, agreement_version)
        self.load()

    def _took_in(self, update) -> None:
        what = update.changed
        if what is None:
            return
        if self.client_edits() or self.deal_edits():
            self.message(f"Meanwhile {what}. ctrl+r takes it in and keeps your edits.")
        else:
            self.show(update.card, keep_edits=False)
            self.message(f"Updated: {what}.", error=False)
