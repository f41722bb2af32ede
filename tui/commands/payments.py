def register(sub, common):
    """Filled in by the payments work."""
