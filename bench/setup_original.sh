#!/usr/bin/env bash
# Create the separate venv holding the original MLXP (PyPI mlxp==1.0.5) that the benchmarks
# compare against. It is never installed into the project's own environment.
set -euo pipefail
venv=${MLXP_ORIGINAL_VENV:-$HOME/.cache/mlxp-bench/venv-mlxp105}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
# The same pinned versions as CI's venv (.ci/run), so benchmarks and tests see one MLXP.
"$venv/bin/pip" install -q "mlxp==1.0.5" -c "$(dirname "$0")/../.ci/mlxp105-constraints.txt"
"$venv/bin/python" -c "import mlxp; print('original MLXP ready in', '$venv')"
