#!/usr/bin/env bash
# Stops the test servers started by up.sh. Keeps keys, certificates and the services database.
set -uo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ports.sh"
run="$RUN_DIR"
stop() { # pidfile
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$1"
}
stop "$run/anope/anope.pid"
stop "$run/inspircd/inspircd.pid"
stop "$run/sshd_a.pid"
stop "$run/sshd_b.pid"
# The rebootable host: a pending power cycle first, so that it does not start the sshd again.
stop "$run/reboot-host/power-cycle.pid"
stop "$run/reboot-host/sshd.pid"
# Synapse (testenv/synapse-up.sh), if it was started: its pid file lives inside the chroot.
stop "$run/synapse-root/var/lib/opsbot-synapse/homeserver.pid"
mountpoint -q "$run/synapse-root/proc" 2>/dev/null && umount "$run/synapse-root/proc"
exit 0
