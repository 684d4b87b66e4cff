#!/usr/bin/env bash
# Regenerate docs/libya_report.png: the HTML report of the example article (stance analyze
# --html), opened in headless Chromium with its strongest edge selected (#edge=0), so the
# picture shows the graph, the article with that edge's evidence lit, the evidence panel and
# the table of edges.
#
#   bash scripts/report_screenshot.sh MODEL_DIR      # e.g. runs/default-marked/model
#
# Needs Debian's chromium (apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bash scripts/report_screenshot.sh MODEL_DIR}
if [ ! -f "$model/stance_config.json" ]; then
  echo "$model has no stance_config.json: not a trained stance model" >&2
  exit 1
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "needs chromium: apt-get install -y chromium" >&2
  exit 1
fi
report=/tmp/libya_report.html
.venv/bin/stance analyze --model "$model" --actors examples/libya_actors.yaml \
  examples/libya_article.txt --html "$report" > /dev/null
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --virtual-time-budget lets the page's script draw (and scroll) before the picture is taken
"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --disable-background-networking --disable-component-update --disable-sync --no-first-run \
  --user-data-dir="$profile" --hide-scrollbars --virtual-time-budget=3000 \
  --window-size=1400,1000 --screenshot="$PWD/docs/libya_report.png" \
  "file://$report#edge=0" 2> /dev/null
echo "docs/libya_report.png written from $report" >&2
