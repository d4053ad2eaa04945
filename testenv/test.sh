#!/usr/bin/env bash
# The test command (README): unit and end-to-end tests, with the real servers up (see with-servers.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/with-servers.sh" mvn -B -ntp verify "$@"
