#!/usr/bin/env bash
# Starts a real Synapse homeserver on 127.0.0.1:8008 for opsbot's Matrix tests, idempotently.
# Debian bookworm has no Synapse; sid does: it lives in a sid chroot under $RUN_DIR/synapse-root, built
# once (about 2.5 minutes) and kept. Users alice, bob, carol, dave and opsbot are registered through the
# shared-secret admin API (synapse_register_new_matrix_user), with the password from ports.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/ports.sh"
root="$RUN_DIR/synapse-root"
data=/var/lib/opsbot-synapse      # inside the chroot
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

if [ ! -x "$root/usr/bin/synapse_register_new_matrix_user" ]; then
  command -v debootstrap >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null; }
  [ -x "$root/usr/bin/apt-get" ] || $SUDO debootstrap --variant=minbase sid "$root" http://deb.debian.org/debian >/dev/null
  # The mirror's sid Release file can be past its Valid-Until date.
  echo 'Acquire::Check-Valid-Until "false";' | $SUDO tee "$root/etc/apt/apt.conf.d/99opsbot-no-valid-until" >/dev/null
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$root/usr/sbin/policy-rc.d" >/dev/null
  $SUDO chmod +x "$root/usr/sbin/policy-rc.d"
  mountpoint -q "$root/proc" || $SUDO mount -t proc proc "$root/proc"
  $SUDO chroot "$root" sh -c 'printf "%s\n" "matrix-synapse matrix-synapse/server-name string localhost" \
      "matrix-synapse matrix-synapse/report-stats boolean false" | debconf-set-selections \
    && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends matrix-synapse >/dev/null'
fi
mountpoint -q "$root/proc" || $SUDO mount -t proc proc "$root/proc"

secret_file="$RUN_DIR/synapse-secret"
[ -f "$secret_file" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$secret_file"
secret=$(cat "$secret_file")
$SUDO mkdir -p "$root$data/media"
sed -e "s#@DATA@#$data#g" -e "s#@SECRET@#$secret#g" "$here/matrix/homeserver.yaml" | $SUDO tee "$root$data/homeserver.yaml" >/dev/null
cat <<LOG | $SUDO tee "$root$data/log.yaml" >/dev/null
version: 1
formatters: {precise: {format: '%(asctime)s %(levelname)s %(name)s - %(message)s'}}
handlers: {file: {class: logging.FileHandler, filename: $data/homeserver.log, formatter: precise}}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
LOG
$SUDO chroot "$root" chown -R matrix-synapse "$data"

pid="$root$data/homeserver.pid"
if ! { [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null; }; then
  $SUDO chroot "$root" sh -c "cd $data && setsid runuser -u matrix-synapse -- python3 -m synapse.app.homeserver \
      -c $data/homeserver.yaml --daemonize" >/dev/null
fi
for _ in $(seq 120); do
  curl -fsS http://127.0.0.1:8008/_matrix/client/versions >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS http://127.0.0.1:8008/_matrix/client/versions >/dev/null || { echo "synapse did not start; see $root$data/homeserver.log" >&2; exit 1; }

# Synapse runs its database work on a thread and hands the GIL back and forth for every query; when those
# threads sit on different CPUs each hand-off is a cross-CPU wake-up, which on a VM costs more than the
# query. Keeping all of Synapse on one CPU measured 25-30 % off a message round trip on a 2-CPU VM.
cpus=$(nproc)
if [ "$cpus" -gt 1 ] && command -v taskset >/dev/null; then
  taskset -a -p -c $((cpus - 1)) "$(cat "$pid")" >/dev/null
fi

for u in opsbot alice bob carol dave; do
  out=$($SUDO chroot "$root" synapse_register_new_matrix_user -u "$u" -p "$ACCOUNT_PASSWORD" --no-admin \
        -k "$secret" http://127.0.0.1:8008 2>&1) || case "$out" in *"User ID already taken"*) ;; *) echo "$out" >&2; exit 1 ;; esac
done
echo "synapse up: http://127.0.0.1:8008 (server name localhost), chroot $root"
