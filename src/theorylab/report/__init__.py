"""Render saved study results into ``report/index.html`` (self-contained) and
``report/README.md``."""

from theorylab.report.render import load_results, write_report

__all__ = ["load_results", "write_report"]
