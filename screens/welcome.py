"""First run on an empty database: say what to do instead of showing blank lists."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static


class WelcomeScreen(Screen):
    BINDINGS = [
        Binding("d", "demo", "Load demo data", id="welcome.demo"),
        Binding("q", "app.quit", "Quit", id="welcome.quit"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="empty-state"):
            yield Label("Welcome to repdesk", classes="title")
            yield Static(
                "This database has no reps yet, so there is nobody to sign in as.\n\n"
                "Either add your team from a shell:\n\n"
                "    repdesk rep add LOGIN --name 'Full Name' --role rep --team North\n"
                "    repdesk import products catalog.csv\n\n"
                "then start again with  repdesk --as LOGIN,\n\n"
                "or press  d  to load a demo dataset and sign in as the demo rep.",
                markup=False)
            yield Static("", id="welcome-msg")
        yield Footer(compact=True)

    def action_demo(self) -> None:
        self.query_one("#welcome-msg", Static).update("Loading demo data...")
        self.load_demo()

    @work(thread=True, exclusive=True)
    def load_demo(self) -> None:
        from models.demo import build_demo
        from models.engine import in_own_connection
        from models.reps import get_actor

        def build():
            build_demo(applications=300, seed=7, now=self.app.now())
            return get_actor("demo")

        self.app.call_from_thread(self._signed_in, in_own_connection(build))

    def _signed_in(self, rep) -> None:
        self.app.rep = rep
        self.app.pop_screen()
        self.app.start_session()
