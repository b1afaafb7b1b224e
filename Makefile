# gxhpc.cluster: two commands on a fresh Debian 12 machine (root, PyPI and Debian mirrors):
#   make demo   a single-node Slurm cluster in a container, configured by playbooks/site.yml
#   make test   every check and test: lint, unit, sanity, every Molecule scenario
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTIONS := $(CURDIR)/.cache/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/gxhpc/cluster
# Every Molecule scenario, in the order `make test` runs them.
SCENARIOS ?= default realuser multinode drmaa galaxy pulsar
DISTROS := 12 13

# slurm-drmaa for the tests: SLURM_DRMAA_TARBALL when set, else the release tarball beside the
# project root (../shared/slurm-drmaa, as an air-gapped site would hold it), checked against its
# SHA256SUMS. Debian packages no slurm-drmaa and its upstream release is not downloadable here.
SHARED_DRMAA_DIR := $(abspath $(CURDIR)/../shared/slurm-drmaa)
ifeq ($(strip $(SLURM_DRMAA_TARBALL)),)
ifneq ($(wildcard $(SHARED_DRMAA_DIR)/slurm-drmaa-1.1.6.tar.gz),)
SLURM_DRMAA_TARBALL := $(SHARED_DRMAA_DIR)/slurm-drmaa-1.1.6.tar.gz
SLURM_DRMAA_TARBALL_SHA256 ?= $(shell awk '$$2 == "slurm-drmaa-1.1.6.tar.gz" {print $$1}' $(SHARED_DRMAA_DIR)/SHA256SUMS 2>/dev/null)
endif
endif
export SLURM_DRMAA_TARBALL SLURM_DRMAA_TARBALL_SHA256

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)
export ANSIBLE_FORCE_COLOR ?= false
export PY_COLORS ?= 0

.PHONY: help venv collection docker images galaxy-cache parser-venv lint unit sanity galaxy-parser integration docs-test molecule molecule-widen test demo demo-destroy clean

help:
	@echo "make demo    bring up a single-node Slurm cluster in a container and run playbooks/site.yml"
	@echo "make test    lint, unit tests, ansible-test sanity, integration tests and every Molecule scenario ($(SCENARIOS))"
	@echo "make molecule SCENARIOS='default'   only some scenarios"

venv: $(VENV)/.installed collection

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Playbooks, Molecule and ansible-lint find this checkout as gxhpc.cluster through this link.
collection:
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn $(CURDIR) $(COLLECTION_LINK)

docker:
	tools/ensure-docker

# The base images, and the cluster images (the base plus the roles' packages, for the scenarios
# that need not prove a fresh host's install: see tools/build-image).
# Both distributions at once: debootstrap and apt mostly wait for the mirror.
images: docker
	@pids=""; for v in $(DISTROS); do (tools/build-image $$v && tools/build-image $$v cluster) & pids="$$pids $$!"; done; \
	rc=0; for p in $$pids; do wait $$p || rc=1; done; exit $$rc

lint: venv
	$(BIN)/yamllint -s .
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint
	$(BIN)/python tools/gen_docs.py --check

unit: venv
	$(BIN)/pytest -q tests/unit

sanity: venv
	tools/sanity

# Galaxy's own JobConfiguration (galaxy-app 26.1.1, in .cache/venv-galaxy-parser) loads every
# rendered job conf example, YAML and XML.
galaxy-parser: venv
	$(BIN)/pytest -q tests/galaxy_parser

# That venv alone (pip, minutes on a machine without it): `make test` builds it in the background while
# lint and the unit tests run; galaxy-parser then finds it, or waits for it (a lock in ensure_venv.py).
parser-venv: venv
	$(BIN)/python tests/galaxy_parser/ensure_venv.py

# Playbooks run against throwaway containers: bad input fails before any change.
integration: venv images
	$(BIN)/pytest -q tests/integration

# Docs: what they show is real and runs (one run of the single-node example); the tarball installs.
docs-test: venv images
	$(BIN)/pytest -q tests/docs tests/build

# Whatever a scenario skips (molecule/<s>/skip-reason, or a test that writes to GXHPC_SKIPS_FILE)
# is collected here and repeated in the last lines of `make molecule` and `make test`.
SKIPS_FILE := $(CURDIR)/.cache/skips.txt
export GXHPC_SKIPS_FILE := $(SKIPS_FILE)

# Two scenarios at a time (tools/molecule-lanes says why); MOLECULE_LANES=1 runs them one by one.
MOLECULE_LANES ?= 2
export MOLECULE_LANES

molecule: venv images
	@tools/molecule-lanes $(SCENARIOS)

# The galaxy scenario's Galaxy virtualenv, cached in ~/.cache/gxhpc/galaxy (1.6 GB; minutes of pip on a machine
# that has none, seconds to unpack after). Made by the scenario's own create and prepare, so that it is exactly
# what the scenario later unpacks; `make test` runs this in the background from its start.
# With a cache there already (any Galaxy version: the scenario then installs a newer one itself), nothing.
GALAXY_CACHE_DIR := $(HOME)/.cache/gxhpc/galaxy
# One build at a time (the lock): the scenarios that need it (tools/molecule-lanes) wait for a build under way.
galaxy-cache: venv images
	@exec 7>/tmp/gxhpc-galaxy-cache.lock; flock 7; \
	if ls $(GALAXY_CACHE_DIR)/galaxy-*-venv-py*.tar >/dev/null 2>&1; then \
	  echo "galaxy-cache: $$(ls $(GALAXY_CACHE_DIR)/galaxy-*-venv-py*.tar) is there"; \
	else \
	  flock /tmp/gxhpc-molecule-galaxy.lock sh -c '$(BIN)/molecule create -s galaxy && $(BIN)/molecule prepare -s galaxy; \
	    rc=$$?; $(BIN)/molecule destroy -s galaxy; exit $$rc'; \
	fi

# The stages, each timed (tools/stages prints the table at the end). In the background from the start: the
# images, the galaxy-parser venv, the Galaxy virtualenv cache (once the images are there) and the Molecule
# scenarios, in one lane while lint, unit, sanity, galaxy-parser, integration and docs-test run one after the
# other (these are mostly one core's work: the lane takes the other), in MOLECULE_LANES once they are done
# (molecule-widen). A lane starts a Galaxy scenario only once the Galaxy cache is built.
WIDEN_FILE := $(CURDIR)/.cache/molecule-widen
test: venv
	@rm -f $(WIDEN_FILE)
	@MOLECULE_WIDEN_FILE=$(WIDEN_FILE) tools/stages '&images' '&parser-venv' '&galaxy-cache' '&molecule' \
	  lint unit sanity galaxy-parser integration docs-test molecule-widen wait
	@if [ -s $(SKIPS_FILE) ]; then echo "make test: passed, but these were SKIPPED:"; cat $(SKIPS_FILE); \
	else echo "make test: all checks passed, nothing skipped"; fi

# The foreground stages of `make test` are done: the Molecule lanes widen to MOLECULE_LANES.
molecule-widen:
	@mkdir -p $(dir $(WIDEN_FILE)) && touch $(WIDEN_FILE)

demo: venv images
	$(BIN)/ansible-playbook -i demo/inventory.yml demo/up.yml
	$(BIN)/ansible-playbook -i demo/inventory.yml playbooks/site.yml
	$(BIN)/ansible-playbook -i demo/inventory.yml demo/show.yml

demo-destroy: venv
	$(BIN)/ansible-playbook -i demo/inventory.yml demo/down.yml

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
