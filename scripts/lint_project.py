"""Baton's own lint rules, the ones ruff and import-linter cannot express (run by `make lint`).

1. Writes to domain models happen in write modules only (``WRITE_MODULES``): a view, a task
   or a query never calls ``.save()``, ``.delete()``, ``Model.objects.create()``,
   ``….update()``, ``bulk_*`` and the like. Migrations and tests are exempt.
2. A function-local import says why it is local, in a ``# local import: …`` comment on the
   line above it (an import cycle, an app not loaded yet, an optional dependency).

Usage: python scripts/lint_project.py [ROOT]   (exit status 1 when something is found)
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

# Where domain rows are written: every app's actions, and the named write modules beside
# them (ownership moves, delivery states, the audit log, alerts, routing-rule writes, SLA
# escalations and predictions), the worker's own bookkeeping, and the demo seed (it writes
# fixtures through plain creates).
WRITE_MODULES = (
    "*/actions.py",
    "conversations/ownership.py",
    "conversations/audit.py",
    "whatsapp/delivery.py",
    "routing/rule_actions.py",
    "routing/alerts.py",
    "sla/escalation.py",
    "sla/prediction_scan.py",
    "sla/policy_actions.py",
    "demo/*.py",
    "simulator/*",
)
EXEMPT = ("*/migrations/*",)

# Methods that write rows when called on a manager or queryset.
QUERYSET_WRITES = frozenset(
    {
        "create",
        "update",
        "delete",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
    }
)
# Methods that write a row when called on a model instance.
INSTANCE_WRITES = frozenset({"save", "delete"})
# Receivers whose ``save``/``delete`` are not row writes (a file on a FileField, a form that
# the caller validates and hands to an action is still a write: not listed).
NOT_ROW_RECEIVERS = frozenset({"media_file", "storage", "session", "super"})

LOCAL_IMPORT_MARK = "# local import:"


def _receiver_chain(node: ast.expr) -> list[str]:
    """Names along ``a.b().c.d`` from the outside in: ``["d", "c", "b", "a"]``."""
    names = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names
        else:
            return names


def model_writes(tree: ast.AST) -> Iterator[tuple[int, str]]:
    # ``@router.delete(...)`` declares an HTTP route; it writes nothing.
    decorators = {
        id(decorator)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for decorator in node.decorator_list
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if id(node) in decorators:
            continue
        method = node.func.attr
        chain = _receiver_chain(node.func.value)
        if (method in QUERYSET_WRITES and "objects" in chain) or (
            method in INSTANCE_WRITES
            and "objects" not in chain
            and not (set(chain) & NOT_ROW_RECEIVERS)
            and not (node.args and method == "save")  # File.save(name, content)
        ):
            yield node.lineno, f"{'.'.join(reversed(chain))}.{method}()"


def unexplained_local_imports(tree: ast.AST, lines: list[str]) -> Iterator[tuple[int, str]]:
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            above = _comment_block_above(lines, node.lineno)
            if not any(LOCAL_IMPORT_MARK in line for line in above):
                what = getattr(node, "module", None) or ", ".join(a.name for a in node.names)
                yield node.lineno, f"import of {what} inside {function.name}()"


def _comment_block_above(lines: list[str], lineno: int) -> list[str]:
    """The comment lines directly above line ``lineno`` (1-based), and imports between,
    so one comment may explain a group of local imports."""
    block = [lines[lineno - 1]]
    index = lineno - 2
    while index >= 0:
        text = lines[index].strip()
        if text.startswith("#") or text.startswith(("from ", "import ")):
            block.append(text)
            index -= 1
        else:
            break
    return block


def check(root: Path) -> list[str]:
    package = root / "src" / "baton"
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if any(fnmatch(relative, pattern) for pattern in EXEMPT):
            continue
        source = path.read_text()
        tree = ast.parse(source, str(path))
        where = f"src/baton/{relative}"
        if not any(fnmatch(relative, pattern) for pattern in WRITE_MODULES):
            for lineno, call in model_writes(tree):
                problems.append(f"{where}:{lineno}: {call} outside a write module")
        for lineno, what in unexplained_local_imports(tree, source.splitlines()):
            problems.append(f"{where}:{lineno}: {what} without a '{LOCAL_IMPORT_MARK}' comment")
    return problems


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
