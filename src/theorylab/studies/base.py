"""The study protocol (:class:`Study`), its parts (:class:`Section`: claims, tables,
captioned figures) and what a run returns (:class:`StudyResult`), saved under
``results/<study>/`` as ``result.json`` plus one PNG and one SVG per figure so that the
report can be rebuilt without running anything again.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import math
import os
import platform
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from theorylab._core.results import jsonable

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
    """Versions of Python and of the libraries that produced a result, and the machine."""
    out = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
    }
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass(frozen=True)
class Section:
    """One part of a study, in report order: its claims, tables and figures.

    ``figures`` maps a file stem to a matplotlib Figure; ``captions`` gives each figure one
    sentence that says what to look at (required, so that no figure reaches the report
    bare)."""

    claims: tuple[Claim, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: Mapping[str, Figure] = field(default_factory=dict)
    captions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", tuple(self.claims))
        object.__setattr__(self, "tables", tuple(self.tables))
        for kind, items in (("claims", self.claims), ("tables", self.tables)):
            cls = Claim if kind == "claims" else Table
            bad = [type(x).__name__ for x in items if not isinstance(x, cls)]
            if bad:
                raise TypeError(f"Section.{kind} must hold {cls.__name__} objects; got {bad}")
        missing = [k for k in self.figures if not str(self.captions.get(k, "")).strip()]
        if missing:
            raise ValueError(f"Section: figures {missing} have no caption (captions={{stem: ...}})")
        extra = [k for k in self.captions if k not in self.figures]
        if extra:
            raise ValueError(f"Section: captions {extra} name no figure")


@dataclass(frozen=True)
class StudyResult:
    """Everything a study run produced. ``figures`` maps a file stem to a matplotlib Figure
    (in memory) or, for a loaded result, to the saved PNG path; ``captions`` one sentence per
    figure. ``preset`` is ``"quick"``, ``"full"`` or ``"custom"``."""

    name: str
    title: str
    citation: str
    claims: tuple[Claim, ...]
    tables: tuple[Table, ...] = ()
    figures: Mapping[str, Any] = field(default_factory=dict)
    captions: Mapping[str, str] = field(default_factory=dict)
    config: Any = None
    summary: str = ""
    seed: int | None = None
    versions: Mapping[str, str] = field(default_factory=library_versions)
    seconds: float = float("nan")
    preset: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", tuple(self.claims))
        object.__setattr__(self, "tables", tuple(self.tables))

    @property
    def passed(self) -> bool:
        """True when every claim passed."""
        return all(c.passed for c in self.claims)

    def to_dict(self) -> dict[str, Any]:
        """The JSON payload of ``result.json`` (figures as their PNG file names)."""
        return {
            "name": self.name,
            "title": self.title,
            "citation": self.citation,
            "summary": self.summary,
            "passed": self.passed,
            "claims": [c.to_dict() for c in self.claims],
            "tables": [t.to_dict() for t in self.tables],
            "figures": {stem: f"{stem}.png" for stem in self.figures},
            "captions": dict(self.captions),
            "config": jsonable(self.config),
            "preset": self.preset,
            "seed": self.seed,
            "versions": dict(self.versions),
            "seconds": _num(self.seconds),
        }

    def save(self, out_dir: str | Path) -> Path:
        """Write ``result.json`` and each figure as PNG + SVG into ``out_dir/<name>/``."""
        folder = Path(out_dir) / self.name
        folder.mkdir(parents=True, exist_ok=True)
        for stem, fig in self.figures.items():
            if isinstance(fig, Figure):
                fig.savefig(folder / f"{stem}.png", dpi=120, bbox_inches="tight")
                fig.savefig(folder / f"{stem}.svg", bbox_inches="tight")
        (folder / "result.json").write_text(json.dumps(self.to_dict(), indent=2))
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
            captions=data.get("captions", {}),
            config=data["config"],
            summary=data.get("summary", ""),
            seed=data.get("seed"),
            versions=data.get("versions", {}),
            seconds=float(seconds) if seconds is not None else float("nan"),
            preset=data.get("preset", ""),
        )


class Presets:
    """Mixin for a study ``Config`` dataclass: ``quick()`` is the defaults, ``full()`` the
    defaults with the overrides in the class attribute ``FULL`` (this library's convention)::

        @dataclass(frozen=True)
        class Config(Presets):
            FULL: ClassVar[dict[str, Any]] = {"n_runs": 30}
            seed: int = 0
            n_runs: int = 3
    """

    FULL: ClassVar[dict[str, Any]] = {}

    @classmethod
    def quick(cls) -> Any:
        """The quick preset: the field defaults (under 30 s on 2 cores)."""
        return cls()

    @classmethod
    def full(cls) -> Any:
        """The full preset: the paper's protocol."""
        return cls(**cls.FULL)


class Study:
    """The study protocol: one result of the literature, re-run.

    A study is a subclass of ``Study`` that sets

    - ``name``: the registry name, lower-case words joined by ``-`` (``"conservation-laws"``);
    - ``title``: one line for the report;
    - ``citation``: the source result (authors, year, venue);
    - ``summary``: one paragraph on what is run and how (optional);
    - ``Config``: a frozen dataclass with an int ``seed`` field and two classmethods,
      ``quick()`` (under 30 s on 2 cores) and ``full()`` (the paper's protocol);

    and implements ``sections(config)``, which yields :class:`Section` objects in report order.
    Every claim cites the paper (authors, year, theorem/figure/table) in its ``source`` or says
    it is this library's own measurement. ``run(config)`` collects the sections into a
    :class:`StudyResult` with the seed, preset and wall time filled in.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    citation: ClassVar[str]
    summary: ClassVar[str] = ""
    Config: ClassVar[type]

    def sections(self, config: Any) -> Iterable[Section]:
        """The study's parts, in report order (implemented by each study)."""
        raise NotImplementedError(f"{type(self).__name__} must implement sections(config)")

    def preset_of(self, config: Any) -> str:
        """``"quick"`` or ``"full"`` when ``config`` equals that preset, else ``"custom"``."""
        for preset in ("quick", "full"):
            if config == getattr(self.Config, preset)():
                return preset
        return "custom"

    def run(self, config: Any = None) -> StudyResult:
        """Run the study at ``config`` (default: the quick preset)."""
        if config is None:
            config = self.Config.quick()
        if not isinstance(config, self.Config):
            raise TypeError(
                f"config must be a {self.name} Config ({self.Config.__qualname__}); "
                f"got {type(config).__name__}"
            )
        start = time.perf_counter()
        claims: list[Claim] = []
        tables: list[Table] = []
        figures: dict[str, Figure] = {}
        captions: dict[str, str] = {}
        try:
            for section in self.sections(config):
                if not isinstance(section, Section):
                    raise TypeError(
                        f"{type(self).__name__}.sections must yield Section objects; "
                        f"got {type(section).__name__}"
                    )
                clash = set(section.figures) & set(figures)
                if clash:
                    raise ValueError(f"{self.name}: figure names used twice: {sorted(clash)}")
                claims += section.claims
                tables += section.tables
                figures.update(section.figures)
                captions.update(section.captions)
        finally:
            plt.close("all")
        return StudyResult(
            name=self.name,
            title=self.title,
            citation=self.citation,
            claims=claims,
            tables=tables,
            figures=figures,
            captions=captions,
            config=config,
            summary=self.summary,
            seed=config.seed,
            seconds=time.perf_counter() - start,
            preset=self.preset_of(config),
        )
