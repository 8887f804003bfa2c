"""keras-tuner's private API is used in one module only,
`kerashp/_keras_tuner_compat.py`: no other module imports a
`keras_tuner.src` path, reads or writes a `_`-prefixed attribute that
keras-tuner defines, or overrides one of its `_`-prefixed methods."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import keras_tuner

ROOT = Path(__file__).resolve().parents[1]
COMPAT = ROOT / "kerashp" / "_keras_tuner_compat.py"


def _keras_tuner_private_names() -> tuple[set[str], set[str]]:
    """keras-tuner's `_` attributes (`self._x`) and `_` methods (`def _x(self`)."""
    attributes, methods = set(), set()
    for path in Path(keras_tuner.__file__).parent.rglob("*.py"):
        text = path.read_text(errors="replace")
        attributes |= set(re.findall(r"self\.(_[a-z]\w*)", text))
        methods |= set(re.findall(r"def (_[a-z]\w*)\(self", text))
    return attributes, methods


def _uses(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [getattr(node, "module", None) or "", *(a.name for a in node.names)]
            found += [(node.lineno, m) for m in modules if m.startswith("keras_tuner.src")]
        elif isinstance(node, ast.Attribute) and node.attr in names:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef) and node.name in names:
            found.append((node.lineno, f"def {node.name}"))
    return found


def _own_names(trees: dict[Path, ast.AST]) -> set[str]:
    """`_` names kerashp gives its own objects (`self._x = ...`, `def _x`) outside the compat module."""
    own = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr.startswith("_"):
                own.add(node.attr)
            elif isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
                own.add(node.name)
    return own


def test_only_the_compat_module_touches_keras_tuners_private_api():
    trees = {p: ast.parse(p.read_text()) for p in (ROOT / "kerashp").rglob("*.py") if p != COMPAT}
    attributes, methods = _keras_tuner_private_names()
    # a name kerashp gives its own attribute is its own; a method named as one of keras-tuner's overrides it
    names = (attributes | methods) - (_own_names(trees) - methods)
    found = {str(p.relative_to(ROOT)): uses for p, tree in trees.items() if (uses := _uses(tree, names))}
    assert found == {}
    assert _uses(ast.parse(COMPAT.read_text()), attributes | methods)  # the rule sees what the compat module does
