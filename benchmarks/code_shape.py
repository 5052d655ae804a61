"""Report code shape: modules over 400 lines, functions over 60 lines or 8 parameters, untyped.

Usage: python benchmarks/code_shape.py [PACKAGE_DIR ...]   (default: the hockey_vae package)

Reads the source with `ast` (nothing is imported) and prints one line per finding, then a
summary. Always exits 0: it informs a review, it does not gate a build.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_PARAMETERS = 8


@dataclass
class Function:
    """One function or method as the checks see it."""

    path: Path
    name: str  # qualified within its module: Class.method, outer.<locals>.inner
    line: int
    n_lines: int
    n_params: int  # without self / cls
    untyped: list[str]  # parameters without an annotation (self / cls excepted)
    returns_typed: bool


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> list[ast.arg]:
    """All parameters of `node` (positional, keyword-only, *args, **kwargs), less self/cls."""
    a = node.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    params += [p for p in (a.vararg, a.kwarg) if p is not None]
    if is_method and params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return params


def functions(path: Path) -> Iterator[Function]:
    """Every function and method defined in the module at `path`, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(node: ast.AST, prefix: str, in_class: bool) -> Iterator[Function]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.", True)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                params = _parameters(child, in_class)
                yield Function(path, prefix + child.name, child.lineno,
                               (child.end_lineno or child.lineno) - child.lineno + 1,
                               len(params), [p.arg for p in params if p.annotation is None],
                               child.returns is not None or child.name == "__init__")
                yield from walk(child, f"{prefix}{child.name}.<locals>.", False)
            else:
                yield from walk(child, prefix, in_class)

    yield from walk(tree, "", False)


def _display(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report(roots: list[Path]) -> list[str]:
    """The findings for every .py file under `roots`, one line each, then a summary line."""
    lines: list[str] = []
    files = sorted(p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py")))
    n_funcs = n_untyped = 0
    for path in files:
        name = _display(path)
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > MAX_MODULE_LINES:
            lines.append(f"{name}: module has {n_lines} lines (> {MAX_MODULE_LINES})")
        for f in functions(path):
            n_funcs += 1
            where = f"{name}:{f.line} {f.name}"
            if f.n_lines > MAX_FUNCTION_LINES:
                lines.append(f"{where}: {f.n_lines} lines (> {MAX_FUNCTION_LINES})")
            if f.n_params > MAX_PARAMETERS:
                lines.append(f"{where}: {f.n_params} parameters (> {MAX_PARAMETERS})")
            if f.untyped or not f.returns_typed:
                n_untyped += len(f.untyped)
                missing = ", ".join(f.untyped) + ("" if f.returns_typed else " (return)")
                lines.append(f"{where}: untyped {missing.strip(', ')}")
    lines.append(f"{len(files)} modules, {n_funcs} functions, {n_untyped} untyped parameters")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the report for the given folders (default: the package next to this script)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "hockey_vae"
    parser.add_argument("roots", nargs="*", type=Path, default=[default],
                        help="package folders or files (default: %(default)s)")
    args = parser.parse_args(argv)
    for line in report(args.roots):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
