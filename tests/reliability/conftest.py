"""Finished runs made once per session, and fresh copies of them to damage."""

from __future__ import annotations

import shutil

import pytest
from searches import run_search


@pytest.fixture(scope="session")
def _finished(tmp_path_factory):
    made = {}

    def get(algorithm):
        if algorithm not in made:
            directory = tmp_path_factory.mktemp(f"finished-{algorithm}")
            run_search(algorithm, directory)
            made[algorithm] = directory / "run"
        return made[algorithm]

    return get


@pytest.fixture
def finished_run(_finished, tmp_path):
    """`finished_run(algorithm)`: a fresh copy of that algorithm's finished run
    (`tmp_path/run`), to damage. The random search, which the fast tier's
    tests damage, is made before the test starts; the others on first use."""
    _finished("random")

    def copy(algorithm):
        target = tmp_path / "run"
        shutil.copytree(_finished(algorithm), target)
        return target

    return copy
