"""What the firmware does, read from its syntax tree (tree-sitter C++), not from regexes.

:func:`parse_firmware` turns the C/C++ files of a code artifact into a small model: the
constants (``#define``, ``const``/``constexpr``), the functions and the calls each one
makes, the object types (``Servo servo;``), and the loops that spin on a condition.
Constant expressions are evaluated by parsing them as C++ expressions too, so
``#define ECHO_TIMEOUT_US 30000UL // about 5 m`` and ``const int X = 2 * 1000;`` both
resolve. The rules in :mod:`tools.checks.code` work on this model.
"""

from __future__ import annotations

import configparser
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter_cpp
from tree_sitter import Language, Node, Parser

from tools.schemas import CodeFile

CPP = Language(tree_sitter_cpp.language())
SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".ino")

Value = int | float | str

#: Calls that only convert a value, so a constant seen through them keeps its value.
CAST_NAMES = frozenset(
    {
        "static_cast",
        "int",
        "byte",
        "uint8_t",
        "int8_t",
        "uint16_t",
        "int16_t",
        "uint32_t",
        "int32_t",
        "long",
        "unsigned",
        "size_t",
        "gpio_num_t",
        "pin_size_t",
    }
)


@dataclass
class Constant:
    name: str
    text: str
    file: str
    line: int


@dataclass
class CallSite:
    """One call: ``receiver.name<template_args>(args)`` inside ``function`` (None at file scope)."""

    name: str
    receiver: str | None
    args: list[str]
    template_args: list[str]
    file: str
    line: int
    text: str
    function: str | None
    constructor: str | None = None


@dataclass
class SpinLoop:
    """A while/do/for loop whose condition waits on time, a pin, the serial port or the network."""

    reason: str
    file: str
    line: int
    text: str
    function: str | None


@dataclass
class Firmware:
    constants: dict[str, Constant] = field(default_factory=dict)
    functions: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    calls: list[CallSite] = field(default_factory=list)
    loops: list[SpinLoop] = field(default_factory=list)
    var_types: dict[str, str] = field(default_factory=dict)
    board: str | None = None
    files: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)

    def calls_in(self, function: str) -> list[CallSite]:
        return [c for c in self.calls if c.function == function]

    def loops_in(self, function: str) -> list[SpinLoop]:
        return [lp for lp in self.loops if lp.function == function]

    def value(self, text: str) -> Value | None:
        """Evaluate a constant expression: a number, or a symbol such as ``A0`` or ``GPIO_NUM_4``
        (left for the board mapping to read)."""
        return _evaluate_text(text.strip(), self.constants, 0)


# --------------------------------------------------------------------------- parsing


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _is_source(path: str, language: str | None) -> bool:
    return path.lower().endswith(SOURCE_SUFFIXES) or (language or "").lower() in ("c", "cpp", "c++")


def _function_name(node: Node) -> str | None:
    """Name of a function_definition, unwrapping pointers, references and Class:: prefixes."""
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return None
    name = decl.child_by_field_name("declarator")
    while name is not None and name.type == "qualified_identifier":
        name = name.child_by_field_name("name")
    return _text(name) or None


def _args(node: Node | None) -> list[str]:
    if node is None:
        return []
    return [_text(a) for a in node.named_children if a.type != "comment"]


def _call_parts(fn: Node) -> tuple[str, str | None, list[str]]:
    """(name, receiver, template args) of a call's function expression."""
    receiver = None
    templ: list[str] = []
    if fn.type == "field_expression":
        receiver = _text(fn.child_by_field_name("argument"))
        fn = fn.child_by_field_name("field") or fn
    while fn.type == "qualified_identifier":
        inner = fn.child_by_field_name("name")
        if inner is None:
            break
        fn = inner
    if fn.type in ("template_function", "template_method"):
        templ = _args(fn.child_by_field_name("arguments"))
        fn = fn.child_by_field_name("name") or fn
    return _text(fn), receiver, templ


def _enclosing_function(node: Node) -> str | None:
    cur = node.parent
    while cur is not None:
        if cur.type == "function_definition":
            return _function_name(cur)
        cur = cur.parent
    return None


def _is_const_declaration(node: Node) -> bool:
    return any(
        c.type == "type_qualifier" and _text(c) in ("const", "constexpr") for c in node.children
    )


def _spin_reason(cond: Node) -> str | None:
    """Why a loop condition is a wait: it reads the clock, a pin, the serial port or Wi-Fi."""
    names = set()
    for n in _walk(cond):
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            if fn is not None:
                name, receiver, _ = _call_parts(fn)
                names.add(name)
                if name in ("status", "isConnected", "connected") and receiver:
                    return "network"
                cond_text = _text(cond).replace(" ", "")
                if name == "available" and ("!" in cond_text or "==0" in cond_text):
                    return "serial input"
        if n.type == "unary_expression" and _text(n).replace(" ", "").startswith("!Serial"):
            arg = n.child_by_field_name("argument")
            if arg is not None and arg.type == "identifier":
                return "serial port"
    if names & {"millis", "micros"}:
        return "time"
    if names & {"digitalRead", "analogRead", "digitalReadFast"}:
        return "pin"
    return None


def _parse_file(fw: Firmware, path: str, source: str) -> None:
    tree = Parser(CPP).parse(source.encode("utf-8"))
    for node in _walk(tree.root_node):
        t = node.type
        if t == "preproc_include":
            path_node = node.child_by_field_name("path")
            fw.includes.append(_text(path_node).strip('<>"'))
        elif t == "preproc_def":
            name = _text(node.child_by_field_name("name"))
            value = node.child_by_field_name("value")
            if name and value is not None:
                fw.constants[name] = Constant(name, _text(value), path, node.start_point[0] + 1)
        elif t == "declaration":
            type_text = _text(node.child_by_field_name("type"))
            is_const = _is_const_declaration(node)
            for d in node.children_by_field_name("declarator"):
                if d.type == "init_declarator":
                    name_node = d.child_by_field_name("declarator")
                    value = d.child_by_field_name("value")
                    name = _text(name_node)
                    if value is not None and value.type == "argument_list":
                        fw.var_types[name] = type_text
                        fw.calls.append(_ctor(type_text, name, _args(value), path, d))
                    elif value is not None and is_const and name_node is not None:
                        if name_node.type == "identifier" and _enclosing_function(node) is None:
                            fw.constants[name] = Constant(
                                name, _text(value), path, d.start_point[0] + 1
                            )
                    elif name_node is not None and name_node.type == "identifier":
                        fw.var_types[name] = type_text
                elif d.type == "identifier":
                    fw.var_types[_text(d)] = type_text
                elif d.type == "function_declarator" and node.parent is not None:
                    # `DHT dht(DHT_PIN, DHT22);` parses as a function declaration; when every
                    # "parameter" is a bare name or number it is an object built with arguments.
                    params = d.child_by_field_name("parameters")
                    plist = [
                        p for p in (params.named_children if params else []) if p.type != "comment"
                    ]
                    if plist and all(len(p.named_children) <= 1 for p in plist):
                        name = _text(d.child_by_field_name("declarator"))
                        fw.var_types[name] = type_text
                        fw.calls.append(_ctor(type_text, name, [_text(p) for p in plist], path, d))
        elif t == "function_definition":
            fname = _function_name(node)
            if fname:
                fw.functions.setdefault(fname, []).append((path, node.start_point[0] + 1))
        elif t == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is None:
                continue
            name, receiver, templ = _call_parts(fn)
            fw.calls.append(
                CallSite(
                    name=name,
                    receiver=receiver,
                    args=_args(node.child_by_field_name("arguments")),
                    template_args=templ,
                    file=path,
                    line=node.start_point[0] + 1,
                    text=" ".join(_text(node).split())[:80],
                    function=_enclosing_function(node),
                )
            )
        elif t in ("while_statement", "do_statement", "for_statement"):
            cond = node.child_by_field_name("condition")
            reason = _spin_reason(cond) if cond is not None else None
            if reason:
                head = _text(node).split("{")[0]
                fw.loops.append(
                    SpinLoop(
                        reason,
                        path,
                        node.start_point[0] + 1,
                        " ".join(head.split())[:80]
                        if t != "do_statement"
                        else "do { ... } while " + " ".join(_text(cond).split())[:60],
                        _enclosing_function(node),
                    )
                )


def _ctor(type_text: str, name: str, args: list[str], path: str, node: Node) -> CallSite:
    return CallSite(
        name=type_text,
        receiver=None,
        args=args,
        template_args=[],
        file=path,
        line=node.start_point[0] + 1,
        text=f"{type_text} {name}({', '.join(args)})"[:80],
        function=_enclosing_function(node),
        constructor=name,
    )


def _board_from_ini(text: str) -> str | None:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except configparser.Error:
        return None
    for section in cp.sections():
        if section.startswith("env") and cp.has_option(section, "board"):
            return cp.get(section, "board").strip()
    return None


def parse_firmware(files: list[CodeFile]) -> Firmware:
    """Parse every C/C++ file of a code artifact (and platformio.ini for the board)."""
    fw = Firmware()
    for f in files:
        if posixpath.basename(f.path).lower() == "platformio.ini":
            fw.board = fw.board or _board_from_ini(f.content)
            continue
        if not _is_source(f.path, f.language):
            continue
        fw.files.append(f.path)
        _parse_file(fw, f.path, f.content)
    return fw


# ------------------------------------------------------------------ constant values


@lru_cache(maxsize=2048)
def _expression_tree(text: str) -> Node | None:
    """The syntax tree of ``text`` as a C++ expression (comments allowed)."""
    wrapped = f"auto __ohm_value = (\n{text}\n);".encode()
    tree = Parser(CPP).parse(wrapped)
    for node in _walk(tree.root_node):
        if node.type == "init_declarator":
            value = node.child_by_field_name("value")
            if value is not None:
                return value
    return None


def _number(text: str) -> int | float | None:
    t = text.replace("'", "").lower()
    while t and t[-1] in "ulf" and not t.startswith("0x"):
        t = t[:-1]
    if t.startswith("0x"):
        t = t.rstrip("ul")
    try:
        return int(t, 0)
    except ValueError:
        try:
            return float(t)
        except ValueError:
            return None


def _evaluate_text(text: str, consts: dict[str, Constant], depth: int) -> Value | None:
    if not text or depth > 12:
        return None
    node = _expression_tree(text)
    return _evaluate(node, consts, depth) if node is not None else None


def _evaluate(node: Node, consts: dict[str, Constant], depth: int) -> Value | None:
    t = node.type
    if t in ("parenthesized_expression", "condition_clause"):
        inner = [c for c in node.named_children if c.type != "comment"]
        return _evaluate(inner[0], consts, depth) if inner else None
    if t == "number_literal":
        return _number(_text(node))
    if t in ("identifier", "type_identifier"):
        name = _text(node)
        if name in consts:
            return _evaluate_text(consts[name].text, consts, depth + 1)
        return name
    if t == "unary_expression":
        arg = node.child_by_field_name("argument")
        op = _text(node.child_by_field_name("operator"))
        v = _evaluate(arg, consts, depth) if arg is not None else None
        if isinstance(v, (int, float)) and op == "-":
            return -v
        if isinstance(v, (int, float)) and op == "+":
            return v
        return None
    if t == "binary_expression":
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        op = _text(node.child_by_field_name("operator"))
        a = _evaluate(left, consts, depth) if left is not None else None
        b = _evaluate(right, consts, depth) if right is not None else None
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return None
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a // b if isinstance(a, int) and isinstance(b, int) else a / b
            if op == "<<" and isinstance(a, int) and isinstance(b, int):
                return a << b
        except (ZeroDivisionError, OverflowError):
            return None
        return None
    if t == "cast_expression":
        value = node.child_by_field_name("value")
        return _evaluate(value, consts, depth) if value is not None else None
    if t == "call_expression":
        # static_cast<uint8_t>(x), uint8_t(x), gpio_num_t(4): look through one-argument casts.
        fn = node.child_by_field_name("function")
        fname = _call_parts(fn)[0] if fn is not None else ""
        if fname not in CAST_NAMES:
            return None
        args = node.child_by_field_name("arguments")
        named = [a for a in (args.named_children if args else []) if a.type != "comment"]
        if len(named) == 1:
            return _evaluate(named[0], consts, depth)
    return None
