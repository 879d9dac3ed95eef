"""The graph as LangGraph's dev server and Studio load it.

Compiled without a checkpointer: the server brings its own persistence and refuses a
graph that has one. Apps that embed Ohm use ``AssemblyLine`` (or ``compile_graph`` with a
checkpointer) instead. Nothing is opened at import time; the store and the models are
reached on first use.
"""

from __future__ import annotations

from .builder import compile_graph

graph = compile_graph()
