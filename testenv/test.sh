#!/usr/bin/env bash
# The test command (README): installs what the tests need (Debian packages), starts the real servers on
# loopback, runs `mvn verify` (unit and end-to-end tests), and stops the servers again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../scripts/jdk.sh"
"$here/install.sh"
trap '"$here/down.sh"' EXIT
"$here/up.sh"
cd "$here/.."
mvn -B -ntp verify "$@"
