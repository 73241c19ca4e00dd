# Two commands on a fresh machine (see README.md):
#   make lab    set up .venv (the "lab" extra) and open JupyterLab on notebooks/ (the main job)
#   make test   set up .venv (the "dev" extra) and run the whole test suite (what CI runs)
# and, on a headless machine or in Docker (as root, --allow-root is added by itself):
#   make lab LAB_ARGS="--no-browser --ServerApp.ip=0.0.0.0 --ServerApp.port=8888"
#   make app APP_ARGS="--no-browser --Voila.ip=0.0.0.0 --port=8866"   (the colorize app, Voila)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.colorlab-installed
LAB_STAMP := $(VENV)/.colorlab-lab
LAB_ARGS ?=
APP_ARGS ?=
# CPU-only torch (about 190 MB instead of about 3 GB with the CUDA wheels pip picks on Linux):
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
# ipywidgets 7.7.1 (what Colab ships), installed beside the venv for the second widget pass
IPYW7  := $(VENV)/ipywidgets7
# JupyterLab refuses to start as root without --allow-root (root is the usual user in Docker).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: lab app widgets7 test test-full unit notebooks verify-notebooks student student-notebooks clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet torch torchvision --index-url $(TORCH_INDEX))

# dev: the tests, nbval, the browser test and OpenCV, on top of everything "lab" has
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(LAB_STAMP)

# lab: what the notebooks and the app need, nothing more (a student's install)
$(LAB_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[lab]'
	touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) $(LAB_ARGS) notebooks/

app: $(LAB_STAMP)
	$(VENV)/bin/voila $(APP_ARGS) notebooks/08_colorize_app.ipynb

TEST_PARTS := unit notebooks verify-notebooks student-notebooks widgets7 test-full

# every part, in order, stopping at the first failure; prints the wall time of each
test: $(STAMP)
	@for part in $(TEST_PARTS); do \
	  start=$$(date +%s); $(MAKE) --no-print-directory $$part || exit 1; \
	  echo "make test: $$part took $$(( $$(date +%s) - start )) s"; \
	done

unit: $(STAMP)
	$(PY) -m pytest tests

notebooks: $(STAMP)
	COLORLAB_QUICK=1 $(PY) -m pytest --nbval-lax --nbval-current-env notebooks/

# Full mode: what students run, every notebook top to bottom (about 15 minutes on a 2-core CPU;
# per-notebook times in notebooks/README.md, measured with benchmarks/bench_notebooks.py).
test-full: $(STAMP)
	COLORLAB_QUICK=0 $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks/

verify-notebooks: $(STAMP)
	$(VENV)/bin/nbstripout --verify notebooks/*.ipynb

# Student copies: student/ holds the notebooks without the cells tagged "solution" (see notebooks/README.md).
student: $(STAMP)
	rm -rf student && mkdir -p student
	for nb in notebooks/*.ipynb; do \
	  $(VENV)/bin/nbstripout --drop-tagged-cells=solution < $$nb > student/$$(basename $$nb) || exit 1; done

# The student copies run in quick mode with every exercise left as its stub: only the check cells
# may fail (reported as xfail by scripts/nbval_student.py); any other failing cell fails the target.
student-notebooks: student
	COLORLAB_QUICK=1 PYTHONPATH=scripts $(PY) -m pytest -p nbval_student -p no:cacheprovider \
	  --nbval-lax --nbval-current-env student/

# The app and widget tests and notebooks 05 and 08 again, with ipywidgets 7.7.1 first on the path.
$(IPYW7)/.installed: | $(STAMP)
	$(PY) -m pip install --quiet --no-deps --target $(IPYW7) ipywidgets==7.7.1 ipython_genutils==0.2.0
	touch $@

widgets7: $(IPYW7)/.installed
	PYTHONPATH=$(IPYW7) $(PY) -c "import ipywidgets as w; assert w.__version__ == '7.7.1', w.__version__; print('ipywidgets', w.__version__)"
	PYTHONPATH=$(IPYW7) $(PY) -m pytest -p no:cacheprovider tests/test_app.py tests/test_widgets.py
	COLORLAB_QUICK=1 PYTHONPATH=$(IPYW7) $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
	  notebooks/05_siggraph17_hints.ipynb notebooks/08_colorize_app.ipynb

clean:
	rm -rf $(VENV) student .pytest_cache
