#!/bin/sh
# Print the path of a Python >= 3.12 interpreter, or explain what is missing.
# Order: $PYTHON, pythonX.Y on PATH (newest first), pyenv's installed versions, python3.
check() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
for c in "${PYTHON:-}" python3.14 python3.13 python3.12; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && check "$c" && { command -v "$c"; exit 0; }
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for c in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
    check "$c/bin/python3" && { echo "$c/bin/python3"; exit 0; }
done
command -v python3 >/dev/null 2>&1 && check python3 && { command -v python3; exit 0; }
echo "Rendezvous needs Python 3.12 or newer and none was found." >&2
echo "Install one (e.g. 'pyenv install 3.13' or your system's python3.13 package)," >&2
echo "or point PYTHON at it: make run PYTHON=/path/to/python3.13" >&2
exit 1
