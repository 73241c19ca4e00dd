"""The project's own files agree with each other: dependency lists, the two README commands,
CI, and the notebook template (Colab cell, stripped outputs)."""

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch": "torch", "python": None, "pip": None}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _extra(name: str) -> set[str]:
    """The package names of an extra of pyproject.toml, with ``colorlab[other]`` expanded."""
    names = set()
    for dep in _pyproject()["project"]["optional-dependencies"][name]:
        if _name(dep) == "colorlab":
            for other in re.search(r"\[(.*)\]", dep).group(1).split(","):
                names |= _extra(other.strip())
        else:
            names.add(_name(dep))
    return names


def _conda_pins(path: Path) -> dict[str, str]:
    """pypi name -> pinned version (``name=1.2.3`` or ``name=1.2.3=build``) of a conda file."""
    pins = {}
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, str) and re.fullmatch(r"[\w.-]+=[\w.]+(=\S+)?", dep):
            name, version = dep.split("=")[:2]
            pins[CONDA_TO_PYPI.get(name, name) or name] = version
    return pins


def _conda_names(path: Path) -> set[str]:
    names = set()
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, str):
            name = CONDA_TO_PYPI.get(_name(dep), _name(dep))
            if name:
                names.add(name)
    return names


def test_runtime_dependencies_agree_everywhere():
    runtime = {_name(dep) for dep in _pyproject()["project"]["dependencies"]}
    assert runtime == {"torch", "torchvision", "numpy", "scikit-image", "matplotlib", "ipywidgets", "pillow", "tqdm"}
    assert runtime <= _conda_names(ROOT / "environment.yml")
    assert runtime <= _conda_names(ROOT / "binder" / "environment.yml")


def test_lab_extra_is_what_students_need_and_dev_has_it_all():
    lab, dev = _extra("lab"), _extra("dev")
    assert lab == {"jupyterlab", "ipykernel", "voila"}  # the notebooks and the app, no test tools
    assert lab | _extra("opencv") | {"pytest", "nbval", "nbstripout", "pyyaml", "playwright"} == dev
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -e '.[lab]'" in makefile and "pip install --quiet -e '.[dev]'" in makefile
    lab_recipe = makefile.split("\nlab:")[1].split("\n\n")[0]
    assert "$(LAB_STAMP)" in lab_recipe and "$(STAMP)" not in lab_recipe.replace("$(LAB_STAMP)", "")


def test_binder_pins_the_versions_ci_tested_inside_pyproject_ranges():
    from importlib.metadata import version

    from packaging.requirements import Requirement
    from packaging.version import Version

    pins = _conda_pins(ROOT / "binder" / "environment.yml")
    project = _pyproject()["project"]
    ranges = {_name(dep): Requirement(dep).specifier for dep in project["dependencies"] + project["optional-dependencies"]["lab"]}
    assert set(pins) == set(ranges) | {"python"}, "binder/environment.yml pins every runtime and lab package"
    for name, pinned in pins.items():
        if name == "python":
            assert Version(pinned) >= Version(project["requires-python"].removeprefix(">="))
            continue
        assert ranges[name].contains(pinned), f"{name}={pinned} is outside pyproject.toml's {ranges[name]}"
        tested = Version(version(name)).base_version  # torch 2.14.1+cpu -> 2.14.1
        assert pinned == tested, f"binder pins {name}={pinned} but the tests ran with {tested}: update the pin"


def test_dev_dependencies_in_conda_env_and_notebook_tools_on_binder():
    dev = _extra("dev")
    assert {"pytest", "nbval", "nbstripout", "jupyterlab"} <= dev
    conda = _conda_names(ROOT / "environment.yml")
    pip_only = {"opencv-python-headless"}  # environment.yml says to pip-install it (conda's opencv differs)
    assert dev - pip_only <= conda, f"missing from environment.yml: {dev - pip_only - conda}"
    assert {"jupyterlab", "ipywidgets", "ipykernel"} <= _conda_names(ROOT / "binder" / "environment.yml")


def test_conda_envs_list_nothing_pyproject_does_not_know():
    project = _pyproject()["project"]
    known = {_name(dep) for dep in project["dependencies"]}
    for extra in project["optional-dependencies"]:
        known |= _extra(extra)
    for path in (ROOT / "environment.yml", ROOT / "binder" / "environment.yml"):
        assert _conda_names(path) <= known, f"{path.name} lists packages pyproject.toml does not"


def test_console_script_and_python_version():
    project = _pyproject()["project"]
    assert project["scripts"]["colorlab"] == "colorlab.cli:main"
    assert project["requires-python"] == ">=3.10"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in commands


def test_binder_installs_package():
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install" in post_build and "-e ." in post_build


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_follows_template(path):
    notebook = json.loads(path.read_text())
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name)
    cells = notebook["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    first_code = next(cell for cell in cells if cell["cell_type"] == "code")
    assert "nbval-skip" in first_code["metadata"].get("tags", [])
    assert '"google.colab" in sys.modules' in "".join(first_code["source"])
    assert any("COLORLAB_QUICK" in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    for cell in cells:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, "notebooks are stored stripped"


def test_colorize_app_runs_with_voila_on_binder_and_in_the_dev_tools():
    dev = _extra("dev")
    assert {"voila", "playwright"} <= dev  # the web app and the real-browser test
    assert "voila" in _conda_names(ROOT / "binder" / "environment.yml")
    assert (ROOT / "notebooks" / "08_colorize_app.ipynb").is_file()


def test_binder_badges_use_the_same_placeholder_repository_as_the_notebooks():
    guide = (ROOT / "notebooks" / "README.md").read_text()
    repository = re.search(r'COLORLAB_GIT = "git\+https://github.com/([^"]+)"', guide).group(1)
    readme = (ROOT / "README.md").read_text()
    binder = f"https://mybinder.org/v2/gh/{repository}/HEAD"
    assert f"{binder}?urlpath=voila/render/notebooks/08_colorize_app.ipynb" in readme
    assert f"{binder}?urlpath=lab/tree/notebooks" in readme
    assert set(re.findall(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/", readme)) == {repository}
    for path in NOTEBOOKS:
        source = "".join("".join(cell["source"]) for cell in json.loads(path.read_text())["cells"])
        if "COLORLAB_GIT =" in source:
            assert f'COLORLAB_GIT = "git+https://github.com/{repository}"' in source, path.name


def test_every_notebook_has_an_open_in_colab_badge_from_the_same_repository():
    guide = (ROOT / "notebooks" / "README.md").read_text()
    repository = re.search(r'COLORLAB_GIT = "git\+https://github.com/([^"]+)"', guide).group(1)
    readme = (ROOT / "README.md").read_text()
    for text, name in ((readme, "README.md"), (guide, "notebooks/README.md")):
        linked = re.findall(r"\(https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/main/notebooks/([^)]+)\)", text)
        assert {repo for repo, _ in linked} == {repository}, name
        assert sorted(notebook for _, notebook in linked) == [path.name for path in NOTEBOOKS], name


def test_binder_opens_in_quick_mode_and_the_guide_says_why():
    start = (ROOT / "binder" / "start").read_text()
    assert 'export COLORLAB_QUICK="${COLORLAB_QUICK:-1}"' in start and 'exec "$@"' in start
    guide = (ROOT / "notebooks" / "README.md").read_text()
    assert "taskset -c 0" in guide and "Binder" in guide
