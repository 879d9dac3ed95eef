"""Keeping the cyclic garbage collector out of ``ohm``'s start-up.

Starting a turn imports about two thousand modules and builds the graph: hundreds of
thousands of objects that live as long as the process. With the collector on, each few
hundred allocations trigger a pass, and the older generations are scanned again and
again while nothing is garbage yet. :func:`begin` turns it off for start-up;
:func:`settle` moves everything allocated so far into the permanent generation (never
scanned again) and turns it back on, so a long ``ohm chat`` or ``ohm serve`` still
collects what it leaves behind; :func:`finish` does the same before the interpreter
exits, which spares its final pass over every module. Only the ``ohm`` program calls
:func:`begin`; imported as a library (tests, embedding) nothing changes.
"""

from __future__ import annotations

import gc

_begun = False
_settled = False


def begin() -> None:
    global _begun
    _begun = True
    gc.disable()


def settle() -> None:
    global _settled
    if _begun and not _settled:
        _settled = True
        gc.freeze()
        gc.enable()


def finish() -> None:
    """Before exit: keep the interpreter's last collection from walking every module."""
    if _begun:
        settle()
        gc.freeze()
