#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need: InspIRCd 3 + Anope 2 (IRC with services)
# and OpenSSH (the hosts opsbot drives). Idempotent: does nothing when everything is present.
# The packages' own system services are never started (policy-rc.d exits 101): our scripts run
# private instances bound to loopback only.
set -euo pipefail
need=()
for p in inspircd anope openssh-server openssh-client openssl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "testenv: installing ${need[*]}" >&2
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ $had_policy -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi
trap '[ $had_policy -eq 0 ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
