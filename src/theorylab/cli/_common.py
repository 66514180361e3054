"""What every ``theorylab`` command shares: the lazy topic group with its one error handler,
multi-value options written as ``--dims 3 4 2``, and ``--json`` output.

- Bad input anywhere below the top-level group (a ``ValueError``, ``TypeError``,
  ``FileNotFoundError`` or :class:`~theorylab.errors.TheorylabError`) ends as one line
  ``error: <message>`` on stderr and exit code 2, never a traceback.
- A typer ``list[...]`` option may be given once with several values (``--dims 3 4 2``,
  ``--q 1 2 4``) or repeated (``--dims 3 --dims 4``); negative numbers are values, so that
  ``--dims 3 -4 2`` reaches the validation ("dims[1] must be >= 1").
- Topic groups are imported only when used: ``theorylab --help`` imports no topic.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperGroup

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?inf|nan")


def _handled() -> tuple[type[BaseException], ...]:
    from theorylab.errors import TheorylabError

    return (ValueError, TypeError, FileNotFoundError, TheorylabError)


def fail(message: str) -> typer.Exit:
    """Print ``error: <message>`` (one line) on stderr; the ``typer.Exit(2)`` to raise."""
    typer.echo(f"error: {' '.join(str(message).split())}", err=True)
    return typer.Exit(2)


def _numeric(param: Any) -> bool:
    """Whether a list option holds numbers (typer >= 0.29 keeps the annotation; older
    versions a click type)."""
    if hasattr(param, "type"):
        return getattr(param.type, "name", "") in ("integer", "float")
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return re.search(r"\b(int|float)\b", str(annotation)) is not None


def expand_multi(cmd: Any, args: list[str]) -> list[str]:
    """``--opt a b c`` -> ``--opt a --opt b --opt c`` for the ``multiple=True`` options of
    ``cmd``; numeric options take numeric tokens (negative ones included), text options take
    tokens up to the next one that starts with ``-``."""
    multi: dict[str, bool] = {}
    for p in getattr(cmd, "params", []):
        if p.param_type_name == "option" and p.multiple and p.nargs == 1:
            numeric = _numeric(p)
            for name in p.opts:
                multi[name] = numeric
    out: list[str] = []
    i = 0
    while i < len(args):
        tok = args[i]
        out.append(tok)
        i += 1
        if tok not in multi:
            continue
        numeric, first = multi[tok], True
        while i < len(args):
            nxt = args[i]
            takes = _NUMBER.fullmatch(nxt) if numeric else not nxt.startswith("-")
            if not first and not takes:
                break
            if not first:
                out.append(tok)
            out.append(nxt)
            i += 1
            first = False
    return out


class TopicGroup(TyperGroup):
    """The top-level group: the study commands plus lazily imported topic sub-apps, hidden
    deprecated aliases for the old top-level verbs, and the shared error handler.

    ``topics`` maps a topic to its one-line help (shown by ``--help`` without importing it);
    ``aliases`` maps an old top-level verb to ``(topic, verb)``."""

    topics: dict[str, str] = {}
    aliases: dict[str, tuple[str, str]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self.topics]

    def load(self, ctx: Any, name: str) -> Any:
        """The real command for ``name`` (a topic group is imported here)."""
        if name in self.topics:
            group = typer.main.get_group(importlib.import_module(f"theorylab.cli.{name}").app)
            group.name = name
            return group
        if name in self.aliases:
            topic, verb = self.aliases[name]
            return self.load(ctx, topic).get_command(ctx, verb)
        return super().get_command(ctx, name)

    def get_command(self, ctx: Any, name: str) -> Any:
        # help listings get a light stand-in, so that `theorylab --help` imports no topic
        if name in self.topics:
            return TyperGroup(name=name, help=self.topics[name], rich_help_panel="Topics")
        if name in self.aliases:
            return None
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name = args[0] if args else ""
        if name in self.topics or name in self.aliases:
            if name in self.aliases:
                topic, verb = self.aliases[name]
                typer.echo(
                    f"note: `theorylab {name}` is deprecated; use `theorylab {topic} {verb}`",
                    err=True,
                )
            return name, self.load(ctx, name), args[1:]
        return super().resolve_command(ctx, args)

    def main(self, args: Sequence[str] | None = None, *a: Any, **kw: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        # the command that argv names: its list options may be written --dims 3 4 2
        cmd, i, ctx = self, 0, None
        while isinstance(cmd, TyperGroup) and i < len(argv) and not argv[i].startswith("-"):
            nxt = self.load(ctx, argv[i]) if cmd is self else cmd.get_command(ctx, argv[i])
            if nxt is None:
                break
            cmd, i = nxt, i + 1
        argv = argv[:i] + expand_multi(cmd, argv[i:])
        return super().main(argv, *a, **kw)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _handled() as exc:
            raise fail(str(exc) or type(exc).__name__) from exc


def json_option() -> Any:
    """The ``--json`` flag every topic verb takes."""
    return typer.Option(False, "--json", help="print the result as JSON (its to_dict())")


def print_json(obj: Any) -> None:
    """Print ``obj`` (a result with ``to_dict()``, or plain data) as indented JSON."""
    from theorylab._core.results import jsonable

    typer.echo(json.dumps(jsonable(obj), indent=2))


def load_factory(target: str) -> Callable[..., Any]:
    """The object named by ``module.path:name`` or ``file.py:name`` (a ValueError otherwise)."""
    import importlib.util
    from pathlib import Path

    if ":" not in target:
        raise ValueError(
            f"expected MODULE_PATH:FACTORY (e.g. theorylab.sparsity.zoo:resnet); got {target!r}"
        )
    path, name = target.rsplit(":", 1)
    if path.endswith(".py"):
        file = Path(path)
        if not file.is_file():
            raise ValueError(f"no such file: {path}")
        spec = importlib.util.spec_from_file_location(file.stem, file)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    else:
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            raise ValueError(f"cannot import {path!r}: {exc}") from exc
    if not hasattr(module, name):
        raise ValueError(f"{path!r} has no attribute {name!r}")
    return getattr(module, name)


__all__ = [
    "TopicGroup",
    "expand_multi",
    "fail",
    "json_option",
    "load_factory",
    "print_json",
]
