"""Write a new revision from the difference between the models and the newest revision.

    python -m persistence.migrations "add a column for X"    (or: make migration MESSAGE=...)

A scratch SQLite database is brought to the current head, Alembic compares it with
``persistence/models.py`` and writes ``versions/<next number>_<slug>.py``, formatted with
ruff; ``HEAD`` in ``persistence/migrations/__init__.py`` is moved to the new revision.
Read the generated file before committing it: autogenerate misses some changes (renames,
server defaults, data moves).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from persistence.migrations import SCRIPT_DIR, alembic_config
from persistence.store import ArtifactStore


def _next_id() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print('usage: python -m persistence.migrations "what the revision changes"')
        return 2
    rev_id = _next_id()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        ArtifactStore(url).close()
        cfg = alembic_config()
        cfg.set_main_option("sqlalchemy.url", url)
        ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
        cfg.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
        for name, args in (("ruff_fix", "check --fix -q"), ("ruff_format", "format -q")):
            cfg.set_section_option("post_write_hooks", f"{name}.type", "exec")
            cfg.set_section_option("post_write_hooks", f"{name}.executable", ruff)
            cfg.set_section_option(
                "post_write_hooks", f"{name}.options", f"{args} REVISION_SCRIPT_FILENAME"
            )
        command.revision(cfg, message=argv[0].strip(), autogenerate=True, rev_id=rev_id)
    init = SCRIPT_DIR / "__init__.py"
    text = init.read_text()
    init.write_text(re.sub(r'^HEAD = "[^"]*"$', f'HEAD = "{rev_id}"', text, count=1, flags=re.M))
    print(f"revision {rev_id} written; HEAD is now {rev_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
