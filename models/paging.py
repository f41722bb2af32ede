"""Keyset pages (never OFFSET): one implementation for every long list (inbox, clients, exports).

A list is ordered by a tuple of columns that an index matches; a page is the rows after a key, the
rows before a key (returned in display order), the first page or the last one.
"""
from __future__ import annotations

from peewee import Tuple


def keyset_page(query, order: tuple, *, after: tuple | None = None, before: tuple | None = None,
                last: bool = False, limit: int = 50, objects: bool = False) -> list:
    """One page of QUERY in ORDER (ascending columns) by keyset."""
    if after is not None:
        q = query.where(Tuple(*order) > Tuple(*after)).order_by(*order)
    elif before is not None or last:
        q = query.where(Tuple(*order) < Tuple(*before)) if before is not None else query
        q = q.order_by(*(f.desc() for f in order))
    else:
        q = query.order_by(*order)
    q = q.limit(limit)
    rows = list(q.objects() if objects else q)
    if before is not None or last:
        rows.reverse()
    return rows
