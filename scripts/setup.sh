#!/usr/bin/env bash
# Create or refresh the virtualenv .venv with stance and everything its tests and main job
# need. Idempotent: a second run with unchanged project files installs nothing.
#
# torch is installed first and pinned, because an unpinned torch resolves to a CUDA
# build of several GB. On our machines pip finds the CPU wheel of torch 2.13.0 on local
# disk; elsewhere set TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu for a CPU
# build (or leave it unset on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
venv=${STANCE_VENV:-.venv}
torch_spec=${TORCH_SPEC:-torch==2.13.0}

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
stamp="$venv/.stance-setup"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  exit 0
fi
start=$(date +%s)
# --no-compile: pip would byte-compile all ~20,000 installed modules (about a minute on 2
# cores); Python compiles the ones a run imports, once, when it first imports them.
pip_install() { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile "$@"; }
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  pip_install "$torch_spec" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
fi
pip_install -e ".[dev,ner]"
echo "$want" > "$stamp"
echo "set-up done in $(( $(date +%s) - start )) s" >&2
