"""Renamed keyword arguments keep working for a while, with a ``DeprecationWarning``."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed_kwargs(**renames: str) -> Callable[[F], F]:
    """Decorator: ``@renamed_kwargs(rng="seed")`` accepts ``rng=`` as the old spelling of
    ``seed=``, warns with a ``DeprecationWarning`` and passes the value on as ``seed``.
    Giving both spellings is a ``TypeError`` (this library's convention)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{fn.__qualname__}() got both {old}= (deprecated) and {new}=; "
                            f"use {new}= only"
                        )
                    warnings.warn(
                        f"{fn.__qualname__}(): {old}= is deprecated, use {new}=",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        wrapper.__renamed_kwargs__ = dict(renames)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def deprecated_alias(new: str, old: str) -> property:
    """A read-only property ``old`` that returns ``self.<new>`` with a DeprecationWarning
    (for renamed result attributes; this library's convention)."""

    def get(self: Any) -> Any:
        warnings.warn(
            f"{type(self).__name__}.{old} is deprecated, use .{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self, new)

    return property(get, doc=f"Deprecated alias of ``{new}``.")


__all__ = ["deprecated_alias", "renamed_kwargs"]
