"""The exceptions and warnings of theorylab: one hierarchy for every topic.

- :class:`TheorylabError` is the base of every exception theorylab raises on purpose
  (``except TheorylabError`` catches them all).
- :class:`ConvergenceError` (also a ``RuntimeError``): a method stopped without producing a
  meaningful answer (an ODE integration that stalls, a solver that diverges). Where an answer
  is still meaningful, it is returned with a status instead (``certified=False``,
  ``status="heuristic"``) and no exception is raised.
- :class:`CertificateError` (also a ``RuntimeError``): a certificate was asked for and could
  not be established (an infeasible interpolation design, a failed exact check).
- :class:`UnsupportedLayerError` (also a ``ValueError``): a model holds a layer or operation
  outside what a function supports; ``problems`` names each offending node.
- Bad arguments stay plain ``ValueError`` / ``TypeError`` naming the argument and the expected
  form (see ``theorylab._core.validation``).
- :class:`TheorylabWarning` (a ``RuntimeWarning``): an answer is returned but may be degraded
  (a non-generic random point, a fallback path).

Because each class also derives from the matching built-in, ``except RuntimeError`` /
``except ValueError`` clauses written before this module existed keep working.
"""

from __future__ import annotations


class TheorylabError(Exception):
    """Base class of the exceptions raised by theorylab (this library's convention)."""


class ConvergenceError(TheorylabError, RuntimeError):
    """A method stopped without a meaningful answer (this library's convention)."""


class CertificateError(TheorylabError, RuntimeError):
    """A requested certificate could not be established (this library's convention)."""


class UnsupportedLayerError(TheorylabError, ValueError):
    """A layer or operation of the model is outside what the function supports.

    ``problems`` lists one line per offending layer, each naming it; ``supported`` says what
    is supported (this library's convention)."""

    def __init__(self, problems: list[str], supported: str = "", what: str = "this function"):
        self.problems = list(problems)
        self.supported = supported
        self.what = what
        message = f"unsupported layer(s) for {what}:\n  - " + "\n  - ".join(self.problems)
        if supported:
            message += f"\nSupported: {supported}."
        super().__init__(message)

    def __reduce__(self):  # picklable across processes with its arguments
        return (type(self), (self.problems, self.supported, self.what))


class TheorylabWarning(RuntimeWarning):
    """An answer was returned but may be degraded (this library's convention)."""


__all__ = [
    "CertificateError",
    "ConvergenceError",
    "TheorylabError",
    "TheorylabWarning",
    "UnsupportedLayerError",
]
