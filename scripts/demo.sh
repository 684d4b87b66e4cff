#!/usr/bin/env bash
# The main job: set up, train the default model on the bundled corpora (cached in
# runs/default; pass --retrain to train again), then analyze the example article: its
# edge table, a PNG of the graph and an HTML report with the evidence beside every edge.
# It records how long each step took in docs/benchmarks/demo.json.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
setup_done=$(date +%s)
model=runs/default/model
trained=false
if [ "${1:-}" = "--retrain" ] || [ ! -f "$model/stance_config.json" ]; then
  .venv/bin/stance train --config configs/default.yaml ${1:+--no-resume}
  trained=true
fi
train_done=$(date +%s)
.venv/bin/stance analyze --model "$model" --actors examples/libya_actors.yaml \
  examples/libya_article.txt --plot docs/libya_graph.png --html docs/libya_report.html \
  --output docs/libya_graph.json
finished=$(date +%s)
cat > docs/benchmarks/demo.json <<EOF
{"command": "bash scripts/demo.sh ${1:-}", "date": "$(date -u +%Y-%m-%d)",
 "trained": $trained, "setup_seconds": $((setup_done - started)),
 "train_seconds": $((train_done - setup_done)), "analyze_seconds": $((finished - train_done)),
 "total_seconds": $((finished - started))}
EOF
echo "demo took $((finished - started)) s (set-up $((setup_done - started)) s, training $((train_done - setup_done)) s, analysis $((finished - train_done)) s)" >&2
