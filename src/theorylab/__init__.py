"""theorylab: recent results in the mathematics of machine learning, made executable.

Each topic is a subpackage (``theorylab.conservation``, ...) with a tested library API;
``theorylab.studies`` re-runs each result's claims and ``theorylab.report`` renders them.
"""

__version__ = "0.1.0"
