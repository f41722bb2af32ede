def register(sub, common):
    """Filled in by the intake work."""
