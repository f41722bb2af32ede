"""Reusable widgets: the virtual record list, form fields, badges."""
