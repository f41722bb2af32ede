"""repdesk's model layer: tables, queries and every domain rule.

Nothing under models/ imports Textual. Each operation that changes data is one
function, one transaction, and writes its own audit rows.
"""
