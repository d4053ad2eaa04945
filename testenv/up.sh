#!/usr/bin/env bash
# Starts the real servers the end-to-end tests use, on loopback only, idempotently:
#   InspIRCd 3 (plain 16667, TLS 16697 on 127.0.0.1 and ::1) linked to Anope 2 services (NickServ, SASL);
#   OpenSSH sshd on 127.0.0.1:22022 (the "hosts") and 127.0.0.1:22023 (a host whose key has "changed");
#   a third sshd on 127.0.0.1:22024, the "rebootable host" (its fake reboot power-cycles it; see below).
# Keeps its state under $RUN_DIR (ports.sh) and prints one summary line on success.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/ports.sh"
run="$RUN_DIR"
mkdir -p "$run"
. "$here/../scripts/jdk.sh"

# --- test user whose home holds the fake site tools -------------------------------------------------
user=opsbot-test
home=/var/lib/opsbot-test
if ! id "$user" >/dev/null 2>&1; then
  useradd -r -d "$home" -m -s /bin/sh "$user"
fi
usermod -p '*' "$user"   # not locked ("!"): sshd refuses locked accounts even for key logins
mkdir -p "$home/utils" "$home/bin" "$home/control" "$home/.ssh"
mkdir -p "$home/libexec"
for t in utils/FailOver.pl utils/ReinstallGrub2.pl bin/srv bin/audit_slots bin/adjtimex bin/spamassassin bin/reboot; do
  install -m 755 "$here/fakes/fake-tool" "$home/$t"
done
install -m 755 "$here/fakes/sudo" "$home/bin/sudo"                  # `sudo /sbin/reboot` runs bin/reboot
install -m 755 "$here/fakes/power-cycle" "$home/libexec/power-cycle"
echo "PATH=$home/bin:/usr/local/bin:/usr/bin:/bin" > "$home/.ssh/environment"

# --- keys ---------------------------------------------------------------------------------------------
[ -f "$run/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C opsbot-test-client -f "$run/client_key"
[ -f "$run/host_key_a" ] || ssh-keygen -q -t ed25519 -N '' -C host-a -f "$run/host_key_a"
[ -f "$run/host_key_b" ] || ssh-keygen -q -t ed25519 -N '' -C host-b -f "$run/host_key_b"
reboot_dir="$run/reboot-host"   # the rebootable host's own state, owned by the test user who runs its sshd
mkdir -p "$reboot_dir"
[ -f "$reboot_dir/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C reboot-host -f "$reboot_dir/host_key"
cp "$run/client_key.pub" "$home/.ssh/authorized_keys"
chown -R "$user" "$home"
chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"
# known_hosts: port 22023 is listed with host A's key, but its sshd presents host B's: a changed key.
{
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$run/host_key_a.pub")"
  echo "[127.0.0.1]:$SSH_REKEYED_PORT $(cut -d' ' -f1,2 "$run/host_key_a.pub")"
  echo "[127.0.0.1]:$SSH_REBOOT_PORT $(cut -d' ' -f1,2 "$reboot_dir/host_key.pub")"
} > "$run/known_hosts"

# --- sshd ---------------------------------------------------------------------------------------------
mkdir -p /run/sshd
sshd_config() { # port hostkey pidfile
  cat <<CONF
ListenAddress 127.0.0.1:$1
HostKey $2
PidFile $3
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitUserEnvironment yes
AllowUsers $user
MaxSessions 64
MaxStartups 64:30:128
LogLevel ERROR
StrictModes no
CONF
}
start_sshd() { # port hostkey name
  local conf="$run/sshd_$3.conf"
  sshd_config "$1" "$2" "$run/sshd_$3.pid" > "$conf"
  if [ -f "$run/sshd_$3.pid" ] && kill -0 "$(cat "$run/sshd_$3.pid")" 2>/dev/null; then return; fi
  /usr/sbin/sshd -f "$conf" -E "$run/sshd_$3.log"
}
start_sshd "$SSH_PORT" "$run/host_key_a" a
start_sshd "$SSH_REKEYED_PORT" "$run/host_key_b" b

# The rebootable host: an sshd run AS the test user (a non-root sshd can log in only its own user, which is
# all the tests need), so that the fake reboot, running as that user, can kill it and start it again
# (~/libexec/power-cycle, from outside the sshd's process tree). Its SetEnv tells the fakes where they run:
# fake-tool tags its log lines "@reboot-host", reboot power-cycles. Up means up now: a pending power cycle
# is ended and the sshd started at once.
{
  sshd_config "$SSH_REBOOT_PORT" "$reboot_dir/host_key" "$reboot_dir/sshd.pid"
  echo "SetEnv OPSBOT_TEST_HOST=reboot-host OPSBOT_REBOOT_DIR=$reboot_dir"
} > "$reboot_dir/sshd.conf"
chown -R "$user" "$reboot_dir"; chmod 600 "$reboot_dir/host_key"
if [ -f "$reboot_dir/power-cycle.pid" ]; then
  pc=$(cat "$reboot_dir/power-cycle.pid")   # a session leader (setsid): its group is the cycle and its sleep
  if grep -qF power-cycle "/proc/$pc/cmdline" 2>/dev/null; then kill -KILL -- "-$pc" 2>/dev/null || true; fi
  rm -f "$reboot_dir/power-cycle.pid"
fi
if ! { [ -f "$reboot_dir/sshd.pid" ] && kill -0 "$(cat "$reboot_dir/sshd.pid")" 2>/dev/null; }; then
  runuser -u "$user" -- /usr/sbin/sshd -f "$reboot_dir/sshd.conf" -E "$reboot_dir/sshd.log"
fi

# --- TLS certificate for the IRC server (name: localhost) and a Java truststore holding it -------------
if [ ! -f "$run/irc_cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost" -keyout "$run/irc_key.pem" -out "$run/irc_cert.pem" 2>/dev/null
  rm -f "$run/truststore.p12"
fi
[ -f "$run/truststore.p12" ] || "$JAVA_HOME/bin/keytool" -importcert -noprompt -alias irc -file "$run/irc_cert.pem" \
  -keystore "$run/truststore.p12" -storetype PKCS12 -storepass changeit >/dev/null

# --- InspIRCd -----------------------------------------------------------------------------------------
ulimit -c 0   # InspIRCd may crash on exit with TLS loaded; no core files
mkdir -p "$run/inspircd"
sed -e "s#@RUN@#$run#g" -e "s#@PLAIN@#$IRC_PORT#g" -e "s#@TLS@#$IRC_TLS_PORT#g" -e "s#@LINK@#$IRC_LINK_PORT#g" \
  "$here/irc/inspircd.conf" > "$run/inspircd/inspircd.conf"
if ! { [ -f "$run/inspircd/inspircd.pid" ] && kill -0 "$(cat "$run/inspircd/inspircd.pid")" 2>/dev/null; }; then
  setsid /usr/sbin/inspircd --runasroot --config "$run/inspircd/inspircd.conf" >"$run/inspircd/stdout.log" 2>&1 &
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$IRC_PORT") 2>/dev/null && break; sleep 0.2; done
fi

# --- Anope --------------------------------------------------------------------------------------------
mkdir -p "$run/anope/conf" "$run/anope/data/backups" "$run/anope/logs"   # Anope dies without backups/
sed -e "s#@RUN@#$run#g" -e "s#@LINK@#$IRC_LINK_PORT#g" "$here/irc/services.conf" > "$run/anope/conf/services.conf"
echo "opsbot test services" > "$run/anope/conf/services.motd"
if ! { [ -f "$run/anope/anope.pid" ] && kill -0 "$(cat "$run/anope/anope.pid")" 2>/dev/null; }; then
  setsid /usr/sbin/anope --confdir="$run/anope/conf" --dbdir="$run/anope/data" --logdir="$run/anope/logs" \
    --modulesdir=/usr/lib/anope --localedir=/usr/share/locale --nofork >"$run/anope/stdout.log" 2>&1 &
  echo $! > "$run/anope/anope.pid"
fi

# --- accounts (NickServ REGISTER over a plain loopback connection, once; the database keeps them) -------
"$here/register.sh" opsbot alice bob carol dave
echo "testenv up: irc 127.0.0.1:$IRC_PORT (tls :$IRC_TLS_PORT), sshd :$SSH_PORT and :$SSH_REKEYED_PORT, rebootable sshd :$SSH_REBOOT_PORT, run dir $run"
