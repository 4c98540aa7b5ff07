"""scripts/lint_project.py: writes outside write modules, unexplained local imports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _linter():
    spec = importlib.util.spec_from_file_location("lint_project", ROOT / "scripts/lint_project.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_project"] = module
    spec.loader.exec_module(module)
    return module


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "src" / "baton" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_baton_passes_its_own_lint():
    assert _linter().check(ROOT) == []


def test_writes_are_found_outside_write_modules(tmp_path):
    root = _project(
        tmp_path,
        {
            "shop/views.py": (
                "def view(order):\n"
                "    Order.objects.filter(pk=1).update(paid=True)\n"
                "    order.save()\n"
                "    order.media_file.save('a.txt', b'', save=False)\n"
            ),
            "shop/actions.py": "def do_pay(order):\n    order.save()\n",
            "shop/migrations/0001_initial.py": "def forwards():\n    Order.objects.create()\n",
        },
    )
    problems = _linter().check(root)
    assert problems == [
        "src/baton/shop/views.py:2: Order.objects.filter.update() outside a write module",
        "src/baton/shop/views.py:3: order.save() outside a write module",
    ]


def test_a_local_import_needs_its_reason(tmp_path):
    root = _project(
        tmp_path,
        {
            "shop/tasks.py": (
                "def run():\n"
                "    from shop.actions import do_pay\n"
                "\n"
                "\n"
                "def run_explained():\n"
                "    # local import: shop.actions queues this task\n"
                "    from shop.actions import do_pay\n"
                "    from shop.models import Order\n"
            ),
        },
    )
    problems = _linter().check(root)
    assert problems == [
        "src/baton/shop/tasks.py:2: import of shop.actions inside run() without a "
        "'# local import:' comment"
    ]
