"""The cross-topic contract of CONTRIBUTING.md, checked over every topic's ``__all__``, every
registered study and every CLI verb."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import re
import types

import pytest
import typer
from typer.testing import CliRunner

from theorylab import errors, studies
from theorylab._core.results import Result
from theorylab.cli import TopicGroup, app
from theorylab.studies.base import Study

TOPICS = sorted(TopicGroup.topics)
CITATION = re.compile(r"\b[A-Z][\w\-'’]+.{0,120}?\b(19|20)\d\d\b|this library", re.S)
# calls that draw random numbers: a function whose own code makes one must take `seed`
RANDOM_CALL = re.compile(
    r"\b(as_generator|as_torch_generator|spawn_seeds|default_rng|randn|rand|randint|randperm|"
    r"randn_like|rand_like|normal_|uniform_|np\.random\.\w+|torch\.normal|bernoulli|"
    r"multinomial)\("
)
OLD_SEED_NAMES = {"rng", "generator", "random_state", "random_seed"}


def _public(topic: str) -> list[tuple[str, object]]:
    mod = importlib.import_module(f"theorylab.{topic}")
    return [(name, getattr(mod, name)) for name in mod.__all__]


def _callables(topic: str):
    """(qualified name, function) for every public function, class and public method
    (methods of a class whose constructor takes ``seed`` draw from that seed)."""
    for name, obj in _public(topic):
        if isinstance(obj, types.ModuleType):
            continue
        if inspect.isclass(obj):
            yield f"{topic}.{name}", obj
            if "seed" in _params(obj):
                continue
            for meth_name, meth in vars(obj).items():
                if meth_name.startswith("_") and meth_name != "__init__":
                    continue
                fn = meth.__func__ if isinstance(meth, (classmethod, staticmethod)) else meth
                if inspect.isfunction(fn):
                    yield f"{topic}.{name}.{meth_name}", fn
        elif callable(obj):
            yield f"{topic}.{name}", obj


def _source(fn) -> str:
    try:
        return inspect.getsource(inspect.unwrap(fn))
    except (OSError, TypeError):
        return ""


def _params(fn) -> dict[str, inspect.Parameter]:
    try:
        return dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_has_all_and_docstrings_with_citations(topic):
    mod = importlib.import_module(f"theorylab.{topic}")
    assert mod.__doc__ and CITATION.search(mod.__doc__), f"theorylab.{topic} docstring cites"
    missing = []
    for qual, obj in _callables(topic):
        if qual.endswith("__init__"):
            continue
        if qual.count(".") == 1:
            doc = inspect.getdoc(obj) or ""
            if not doc or not CITATION.search(doc):
                missing.append(qual)
    assert not missing, f"public callables without a docstring citing a source: {missing}"


@pytest.mark.parametrize("topic", TOPICS)
def test_sampling_functions_take_seed(topic):
    bad_names, no_seed, bad_default = [], [], []
    for qual, fn in _callables(topic):
        params = _params(fn)
        if OLD_SEED_NAMES & set(params):
            bad_names.append(f"{qual}({sorted(OLD_SEED_NAMES & set(params))})")
        if inspect.isclass(fn):
            continue
        if "seed" in params:
            default = params["seed"].default
            if default is not inspect.Parameter.empty and default is not None:
                bad_default.append(f"{qual}(seed={default!r})")
        elif RANDOM_CALL.search(_source(fn)):
            no_seed.append(qual)
    assert not bad_names, f"randomness must be spelled seed=: {bad_names}"
    assert not no_seed, f"these sample but take no seed=: {no_seed}"
    assert not bad_default, f"seed defaults must be None (or a required keyword): {bad_default}"


@pytest.mark.parametrize("topic", TOPICS)
def test_result_types_are_frozen_with_to_dict(topic):
    bad = []
    for name, obj in _public(topic):
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
            params = obj.__dataclass_params__
            if not params.frozen or not issubclass(obj, Result) or "__slots__" not in vars(obj):
                bad.append(name)
    assert not bad, f"public dataclasses must be frozen, slotted Result subclasses: {bad}"


@pytest.mark.parametrize("topic", TOPICS)
def test_exported_errors_come_from_theorylab_errors(topic):
    for name, obj in _public(topic):
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            assert issubclass(obj, (errors.TheorylabError, errors.TheorylabWarning)), name


def test_error_hierarchy_keeps_builtin_bases():
    assert issubclass(errors.ConvergenceError, RuntimeError)
    assert issubclass(errors.CertificateError, RuntimeError)
    assert issubclass(errors.UnsupportedLayerError, ValueError)
    for cls in (errors.ConvergenceError, errors.CertificateError, errors.UnsupportedLayerError):
        assert issubclass(cls, errors.TheorylabError)
    assert issubclass(errors.TheorylabWarning, RuntimeWarning)


# ------------------------------------------------------------------------------ studies
@pytest.mark.parametrize("name", studies.names())
def test_study_protocol(name):
    study = studies.load(name)
    assert isinstance(study, Study) and study.name == name
    assert study.title and CITATION.search(study.citation)
    assert dataclasses.is_dataclass(study.Config) and study.Config.__dataclass_params__.frozen
    quick, full = study.Config.quick(), study.Config.full()
    assert quick != full and isinstance(quick.seed, int)
    assert study.preset_of(quick) == "quick" and study.preset_of(full) == "full"
    json.dumps(dataclasses.asdict(quick), default=str)


# ------------------------------------------------------------------------------ CLI
runner = CliRunner()


def _verbs(topic: str):
    group = typer.main.get_group(importlib.import_module(f"theorylab.cli.{topic}").app)
    return [(name, group.get_command(None, name)) for name in group.list_commands(None)]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_verb_has_help_and_json(topic):
    verbs = _verbs(topic)
    assert verbs, f"theorylab {topic} has no verb"
    for verb, cmd in verbs:
        assert "--json" in {o for p in cmd.params for o in p.opts}, f"{topic} {verb} --json"
        result = runner.invoke(app, [topic, verb, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, (topic, verb, result.output)


def test_bad_input_is_one_line_and_exit_code_2():
    result = runner.invoke(app, ["sdp", "maxcut", "G11", "--rank", "foo"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: rank must be 'auto' or an int >= 1; got 'foo'"
    assert "Traceback" not in result.output


def test_old_top_level_verbs_are_hidden_deprecated_aliases():
    help_ = runner.invoke(app, ["--help"]).output
    for alias in TopicGroup.aliases:
        assert not re.search(rf"^\W*{alias}\s", help_, re.M), alias
    result = runner.invoke(app, ["laws", "linear2", "--json"])
    assert result.exit_code == 0
    assert "deprecated; use `theorylab conservation laws`" in result.output


def test_presets_are_spelled_the_same_for_run_and_reproduce():
    for command in ("run", "reproduce"):
        out = runner.invoke(app, [command, "--help"]).output
        assert "--preset" in out, command
    bad = runner.invoke(app, ["run", "conservation-laws", "--preset", "huge"])
    assert bad.exit_code == 2 and "preset must be" in bad.output
