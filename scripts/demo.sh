#!/usr/bin/env bash
# The main job: set up, train the default model on the bundled corpus (cached in
# runs/default; pass --retrain to train again), then analyze the example article.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
model=runs/default/model
if [ "${1:-}" = "--retrain" ] || [ ! -f "$model/stance_config.json" ]; then
  .venv/bin/stance train --config configs/default.yaml ${1:+--no-resume}
fi
.venv/bin/stance analyze --model "$model" --actors examples/libya_actors.yaml \
  examples/libya_article.txt --plot docs/libya_graph.png
