"""What a study returns: claims, tables, figures, and how they are saved and loaded.

A study re-runs one result's claims. ``run(config) -> StudyResult``; the result is saved
under ``results/<study>/`` as ``result.json`` plus one PNG and one SVG per figure, so that
the report can be rebuilt without running anything again.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

_VERSIONED = ("theorylab", "numpy", "scipy", "sympy", "torch", "matplotlib")


def _num(x: Any) -> Any:
    """A JSON-friendly scalar (numpy scalars -> Python, non-finite floats -> str)."""
    if hasattr(x, "item") and callable(x.item):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


@dataclass(frozen=True)
class Claim:
    """One claim of the source result and its check.

    ``statement`` is the sentence from the paper; ``measured`` what the study measured;
    ``expected`` a readable form of the target (``"<= 1e-06"``, ``"== 3"``, ...);
    ``passed`` the verdict. Build claims with the constructors, which compute the verdict.
    """

    statement: str
    measured: Any
    expected: str
    passed: bool
    tolerance: float | None = None
    source: str = ""

    @classmethod
    def at_most(cls, statement: str, measured: float, bound: float, *, source: str = "") -> Claim:
        return cls(
            statement, _num(measured), f"<= {bound:.4g}", bool(measured <= bound), None, source
        )

    @classmethod
    def at_least(cls, statement: str, measured: float, bound: float, *, source: str = "") -> Claim:
        return cls(
            statement, _num(measured), f">= {bound:.4g}", bool(measured >= bound), None, source
        )

    @classmethod
    def within(
        cls, statement: str, measured: float, low: float, high: float, *, source: str = ""
    ) -> Claim:
        ok = bool(low <= measured <= high)
        return cls(statement, _num(measured), f"in [{low:.4g}, {high:.4g}]", ok, None, source)

    @classmethod
    def equal(cls, statement: str, measured: Any, expected: Any, *, source: str = "") -> Claim:
        return cls(
            statement, _num(measured), f"== {expected}", bool(measured == expected), None, source
        )

    @classmethod
    def close(
        cls,
        statement: str,
        measured: float,
        expected: float,
        *,
        rtol: float | None = None,
        atol: float | None = None,
        source: str = "",
    ) -> Claim:
        if rtol is None and atol is None:
            raise ValueError("Claim.close needs rtol or atol")
        tol = (atol or 0.0) + (rtol or 0.0) * abs(expected)
        ok = bool(abs(measured - expected) <= tol)
        return cls(statement, _num(measured), f"{expected:.6g} ± {tol:.3g}", ok, tol, source)

    def to_dict(self) -> dict[str, Any]:
        return {k: _num(v) for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class Table:
    """A table of the report: a title, column names and rows of scalars or strings."""

    title: str
    columns: list[str]
    rows: list[list[Any]]

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"Table {self.title!r}: row {i} has {len(row)} cells, "
                    f"expected {len(self.columns)}"
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [[_num(c) for c in row] for row in self.rows],
        }


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries that produced a result."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class StudyResult:
    """Everything a study produced. ``figures`` maps a file stem to a matplotlib Figure
    (in memory) or, for a loaded result, to the saved PNG path."""

    name: str
    title: str
    citation: str
    claims: list[Claim]
    tables: list[Table] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    config: Any = None
    summary: str = ""
    seed: int | None = None
    versions: dict[str, str] = field(default_factory=library_versions)
    seconds: float = float("nan")
    preset: str = ""

    @property
    def passed(self) -> bool:
        """True when every claim passed."""
        return all(c.passed for c in self.claims)

    def save(self, out_dir: str | Path) -> Path:
        """Write ``result.json`` and each figure as PNG + SVG into ``out_dir/<name>/``."""
        folder = Path(out_dir) / self.name
        folder.mkdir(parents=True, exist_ok=True)
        figure_files = {}
        for stem, fig in self.figures.items():
            if isinstance(fig, Figure):
                fig.savefig(folder / f"{stem}.png", dpi=120, bbox_inches="tight")
                fig.savefig(folder / f"{stem}.svg", bbox_inches="tight")
            figure_files[stem] = f"{stem}.png"
        config = (
            dataclasses.asdict(self.config)
            if dataclasses.is_dataclass(self.config)
            else self.config
        )
        payload = {
            "name": self.name,
            "title": self.title,
            "citation": self.citation,
            "summary": self.summary,
            "passed": self.passed,
            "claims": [c.to_dict() for c in self.claims],
            "tables": [t.to_dict() for t in self.tables],
            "figures": figure_files,
            "config": json.loads(json.dumps(config, default=str)),
            "preset": self.preset,
            "seed": self.seed,
            "versions": self.versions,
            "seconds": _num(self.seconds),
        }
        (folder / "result.json").write_text(json.dumps(payload, indent=2))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> StudyResult:
        """Read a result saved by :meth:`save` (figures become paths to the PNG files)."""
        folder = Path(folder)
        path = folder / "result.json"
        if not path.is_file():
            raise FileNotFoundError(f"no saved study result at {path}")
        data = json.loads(path.read_text())
        seconds = data.get("seconds")
        return cls(
            name=data["name"],
            title=data["title"],
            citation=data["citation"],
            claims=[Claim(**c) for c in data["claims"]],
            tables=[Table(**t) for t in data["tables"]],
            figures={stem: folder / f for stem, f in data["figures"].items()},
            config=data["config"],
            summary=data.get("summary", ""),
            seed=data.get("seed"),
            versions=data.get("versions", {}),
            seconds=float(seconds) if seconds is not None else float("nan"),
            preset=data.get("preset", ""),
        )
