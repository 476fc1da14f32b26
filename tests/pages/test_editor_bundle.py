"""The vendored editor bundle: its recorded checksum, its licences, and that
scripts/build-editor.sh rebuilds the same bytes from the npm registry."""

import hashlib
import json
import os
import shutil
import subprocess

import pytest
from conftest import REPO

STATIC = REPO / "src" / "sundhedsgraf" / "pages" / "static"
BUNDLE = STATIC / "editor.bundle.js"
EDITOR = REPO / "editor"


def test_the_bundle_matches_its_recorded_checksum():
    recorded, name = (STATIC / "editor.bundle.js.sha256").read_text().split()
    assert name == BUNDLE.name
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == recorded


def test_the_bundle_carries_the_licence_of_every_package_in_it():
    licences = (STATIC / "editor.bundle.js.LICENSES.txt").read_text()
    lock = json.loads((EDITOR / "package-lock.json").read_text())
    direct = json.loads((EDITOR / "package.json").read_text())["dependencies"]
    for name, version in direct.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version  # exact versions
        assert f"\n{name} {version} (MIT)\n" in licences, name
    assert licences.count("Permission is hereby granted") >= len(direct)


def test_the_bundle_loads_nothing_from_elsewhere_and_evaluates_no_strings():
    code = BUNDLE.read_text()
    assert "http://" not in code.replace("http://www.w3.org/", "")
    assert "eval(" not in code and "new Function" not in code


def test_the_build_script_makes_the_same_bundle(tmp_path):
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("CI has npm: the editor bundle's rebuild must be checked there")
        pytest.skip("npm is not installed here; the pages do not need it, only a rebuild does")
    build = subprocess.run(
        ["sh", REPO / "scripts" / "build-editor.sh", tmp_path],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    for name in (BUNDLE.name, "editor.bundle.js.LICENSES.txt", "editor.bundle.js.sha256"):
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), name
