"""Files the CLI writes (exports, authorized_keys): all or nothing, never a half-written file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable


def write_atomically(path: str | os.PathLike, chunks: Iterable[str], *, mode: int | None = None,
                     prefix: str = ".repdesk-") -> None:
    """Write CHUNKS to a temporary file beside PATH, then rename it over PATH: a reader sees the old
    file or the whole new one. MODE sets the permissions before the rename. OSError propagates."""
    target = Path(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
