#!/usr/bin/env bash
# Runs a command with the test servers up: installs what they need (Debian packages), starts them on
# loopback (up.sh: IRC and SSH; synapse-up.sh: Matrix), runs the command from the repository root, and stops them again whatever happens.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../scripts/jdk.sh"
"$here/install.sh"
trap '"$here/down.sh"' EXIT
"$here/up.sh"
"$here/synapse-up.sh"
cd "$here/.."
"$@"
