"""One Textual screen per file. Screens ask models/ for data; no SQL here."""
