"""Each setting is declared once: the CLI, the environment and the README table follow it."""

from dataclasses import fields
from pathlib import Path

import pytest

from sundhedsgraf.cli import parser
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.settings import Settings, env_name, from_env, markdown_table

README = Path(__file__).parent.parent / "README.md"


def test_readme_shows_the_declared_settings():
    assert markdown_table() in README.read_text(encoding="utf-8")


def test_serve_has_an_option_per_setting():
    serve = parser()._subparsers._group_actions[0].choices["serve"]
    options = {o for action in serve._actions for o in action.option_strings}
    for f in fields(Settings):
        assert "--" + f.name.replace("_", "-") in options, f.name


@pytest.mark.parametrize(
    "name, raw, value",
    [
        ("time_limit", "2.5", 2.5),
        ("workers", "3", 3),
        (
            "service_allowlist",
            "https://a.example/sparql, https://b.example/sparql",
            ("https://a.example/sparql", "https://b.example/sparql"),
        ),
        ("root", "/srv/graph", Path("/srv/graph")),
        ("public_url", "https://example.org/", "https://example.org/"),
    ],
)
def test_each_setting_reads_from_its_environment_variable(name, raw, value):
    f = next(f for f in fields(Settings) if f.name == name)
    assert getattr(from_env({env_name(f): raw}), name) == value


def test_the_command_line_wins_over_the_environment():
    assert from_env({"SUNDHEDSGRAF_WORKERS": "3"}, workers=5).workers == 5


@pytest.mark.parametrize(
    "environ, problem",
    [
        ({"SUNDHEDSGRAF_WORKERS": "many"}, "$SUNDHEDSGRAF_WORKERS must be a number"),
        ({"SUNDHEDSGRAF_TIME_LIMIT": "0"}, "time_limit must be positive"),
        ({"SUNDHEDSGRAF_BASE_IRI": "https://example.org/x"}, "base_iri must be an absolute IRI"),
        ({"SUNDHEDSGRAF_PUBLIC_URL": "example.org/"}, "public_url must be an http(s) URL"),
        ({"SUNDHEDSGRAF_STORE": "rocksdb"}, "store must be one of memory, disk, not rocksdb"),
    ],
)
def test_bad_settings_say_which_and_why(environ, problem):
    with pytest.raises(
        SundhedsgrafError, match=problem.replace("$", r"\$").replace("(", r"\(").replace(")", r"\)")
    ):
        from_env(environ)
