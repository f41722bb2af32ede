"""The peer of the slow-line rows (issue 16): a bare Textual app, header, a 50-row DataTable and footer."""
from textual.app import App
from textual.widgets import DataTable, Footer, Header


class Peer(App):
    def compose(self):
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("score", "channel", "age", "owner", "name", "why")
        for i in range(50):
            table.add_row(str(90 - i), "web", f"{i}m", "-", f"Person {i}", f"+31 names PRODUCT-{i}")
        table.focus()


if __name__ == "__main__":
    Peer().run()
