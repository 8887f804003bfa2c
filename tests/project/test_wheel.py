"""What a user installs: the wheel and sdist build offline, the wheel works in
a fresh environment, and the notebooks' install cell installs kerashp."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from project_files import NOTEBOOKS, ROOT, copy_checkout, install_cell, pyproject, source_url

pytestmark = pytest.mark.e2e

MODULES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "kerashp").rglob("*.py"))


class FreshVenv:
    """A new virtual environment without kerashp that sees this environment's
    other packages (TensorFlow and the rest are too big to install per test).

    `--system-site-packages` would not do: when this environment is itself a
    virtual environment, it adds the base interpreter's packages, not these.
    A `.pth` file lists this environment's site-packages folders instead. A
    folder named in a `.pth` file is added to `sys.path` without running the
    `.pth` files inside it, so an editable kerashp there (its finder is
    installed by such a file) is not imported; the fixture checks that.
    """

    def __init__(self, root: Path):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
        self.root = root
        self.site_packages = Path(
            self.run("-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
        )
        (self.site_packages / "test-environment.pth").write_text(
            "\n".join(site.getsitepackages()) + "\n"
        )

    def run(self, *args: str, program: str = "python", env: dict | None = None) -> str:
        """Runs a program of this environment (its python by default) away from
        the checkout and without PYTHONPATH; returns its output, shows a failure."""
        clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        done = subprocess.run(
            [str(self.root / "bin" / program), *args],
            cwd=self.root,
            env={**clean, **(env or {})},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def kerashp(self) -> dict:
        """Where this environment imports kerashp from, and its installed metadata."""
        code = (
            "import importlib.metadata as m, json, kerashp; d = m.distribution('kerashp'); "
            "print(json.dumps({'file': kerashp.__file__, 'version': d.version, "
            "'direct_url': d.read_text('direct_url.json')}))"
        )
        return json.loads(self.run("-c", code))


@pytest.fixture
def fresh_venv(tmp_path) -> FreshVenv:
    """Cheap (no pip of its own: this environment's pip installs into it)."""
    venv = FreshVenv(tmp_path / "venv")
    assert (
        venv.run("-c", "import importlib.util; print(importlib.util.find_spec('kerashp'))").strip()
        == "None"
    )
    return venv


def test_wheel_and_sdist_build_offline_and_the_wheel_works_on_its_own(tmp_path, fresh_venv):
    version = pyproject()["project"]["version"]
    out = tmp_path / "dist"
    checkout = copy_checkout(tmp_path / "checkout")
    build = [sys.executable, *"-m build --no-isolation --wheel --sdist --outdir".split(), str(out)]
    built = subprocess.run([*build, str(checkout)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel, sdist = out / f"kerashp-{version}-py3-none-any.whl", out / f"kerashp-{version}.tar.gz"
    with zipfile.ZipFile(wheel) as archive:
        assert not [m for m in [*MODULES, "kerashp/py.typed"] if m not in archive.namelist()]
    with tarfile.open(sdist) as archive:
        names = {name.removeprefix(f"kerashp-{version}/") for name in archive.getnames()}
    assert not [
        m for m in [*MODULES, "kerashp/py.typed", "pyproject.toml", "README.md"] if m not in names
    ]

    fresh_venv.run("-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel))
    installed = fresh_venv.kerashp()
    assert Path(installed["file"]) == fresh_venv.site_packages / "kerashp" / "__init__.py"
    assert (
        installed["version"] == version
        and json.loads(installed["direct_url"])["url"] == wheel.as_uri()
    )
    assert (fresh_venv.site_packages / "kerashp" / "py.typed").is_file()
    entry_point = fresh_venv.run("--version", program="kerashp")
    assert entry_point.strip() == f"kerashp {version}"

    search = (
        "import json, sys, kerashp as khp\n"
        "x, y = khp.datasets.load('digits')\n"
        "result = khp.tune(khp.builders.mlp, {'units': [16]}, data=(x[:300], y[:300]), algorithm='random',\n"
        "                  objective='val_accuracy', max_trials=1, max_epochs=1, verbose=0, seed=0,\n"
        "                  run=khp.RunFolder(sys.argv[1], 'wheel'))\n"
        "print(json.dumps({'file': khp.__file__, 'trials': len(result.trials), 'score': result.best_score}))\n"
    )
    ran = json.loads(fresh_venv.run("-c", search, str(tmp_path / "runs")).strip().splitlines()[-1])
    assert ran["file"] == installed["file"] and ran["trials"] == 1 and 0 < ran["score"] <= 1
    assert (tmp_path / "runs" / "wheel" / "run.json").is_file()


def test_the_notebooks_install_cell_installs_kerashp_from_the_repository(tmp_path, fresh_venv):
    """The cell itself runs, with the repository URL replaced by a copy of the
    checkout; pip takes its offline options from the environment, as it would
    from a pip.conf: `--no-index --no-deps --no-build-isolation` (pip reads
    PIP_NO_BUILD_ISOLATION inverted: "0" turns isolation off)."""
    cell = install_cell(NOTEBOOKS[0])  # tests/project/test_notebooks.py: the same in every notebook
    repository = f"git+{source_url()}"
    assert cell.count(repository) == 1
    checkout = copy_checkout(tmp_path / "checkout")
    offline = {"PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0"}
    fresh_venv.run("-c", cell.replace(repository, checkout.as_uri()), env=offline)
    installed = fresh_venv.kerashp()
    assert Path(installed["file"]) == fresh_venv.site_packages / "kerashp" / "__init__.py"
    assert json.loads(installed["direct_url"])["url"] == checkout.as_uri()
    # Now kerashp is importable, so the cell does not call pip: a URL pip cannot install would fail.
    missing = (tmp_path / "no-such-checkout").as_uri()
    fresh_venv.run("-c", cell.replace(repository, missing), env=offline)
