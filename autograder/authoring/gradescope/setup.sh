#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
# Environment (all optional):
#   AUTOGRADER_PYTHON         interpreter to install into and grade with (default: python3)
#   AUTOGRADER_TORCH_VERSION  torch version to install if torch is missing (default: 2.13.0)
#   AUTOGRADER_TORCH_INDEX    package index for torch (default: PyTorch's CPU index, since
#                             Gradescope has no GPU)
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${AUTOGRADER_PYTHON:-python3}"
TORCH_VERSION="${AUTOGRADER_TORCH_VERSION:-2.13.0}"
TORCH_INDEX="${AUTOGRADER_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"

have() { "$PY" -c "import $1" >/dev/null 2>&1; }

if have torch; then
    echo "setup: torch already importable, not installing it"
else
    "$PY" -m pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"
fi
missing=0
for module in numpy pytest nbformat; do have "$module" || missing=1; done
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || have tomli || missing=1
if [ "$missing" = 1 ]; then
    "$PY" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
else
    echo "setup: numpy, pytest, nbformat already importable"
fi

if [ "$(id -u)" = 0 ]; then
    # Reference solutions, hidden tests and the engine: root only. (Student code runs under
    # a uid of its own that no account has, inside namespaces or Landlock: see README.)
    chown -R root:root "$SOURCE"
    chmod -R go-rwx "$SOURCE"
fi
# What the sandbox can do in this image (the grading refuses below the minimum):
PYTHONPATH="$SOURCE" "$PY" -m autograder doctor || echo "setup: WARNING: the sandbox's minimum does not hold in this image"
echo "setup: done"
