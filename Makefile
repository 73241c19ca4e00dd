# Two commands on a fresh machine (see README.md):
#   make lab    set up .venv and open JupyterLab on notebooks/ (the main job)
#   make test   set up .venv and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.colorlab-installed

.PHONY: lab test unit notebooks verify-notebooks student-copies clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,opencv]'
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

test: $(STAMP)
	$(MAKE) --no-print-directory unit notebooks verify-notebooks

unit: $(STAMP)
	$(PY) -m pytest tests

notebooks: $(STAMP)
	COLORLAB_QUICK=1 $(PY) -m pytest --nbval-lax --nbval-current-env notebooks/

verify-notebooks: $(STAMP)
	$(VENV)/bin/nbstripout --verify notebooks/*.ipynb

# Student copies: the same notebooks without the cells tagged "solution".
student-copies: $(STAMP)
	mkdir -p student
	for nb in notebooks/*.ipynb; do \
	  $(VENV)/bin/nbstripout --drop-tagged-cells=solution < $$nb > student/$$(basename $$nb); done

clean:
	rm -rf $(VENV) student .pytest_cache
