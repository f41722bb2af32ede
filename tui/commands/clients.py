def register(sub, common):
    """Filled in by the clients work."""
