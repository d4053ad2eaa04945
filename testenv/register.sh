#!/usr/bin/env bash
# Registers NickServ accounts (password from ports.sh) over a plain loopback connection. An account that
# exists already is fine: Anope's database keeps them between runs.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/ports.sh"
register() {
  local nick=$1 line i
  exec 3<>/dev/tcp/127.0.0.1/"$IRC_PORT" || return 1
  printf 'NICK %s\r\nUSER %s 0 * :opsbot test\r\n' "$nick" "$nick" >&3
  for i in $(seq 200); do
    IFS= read -r -t 10 line <&3 || break
    case "$line" in
      PING*) printf 'PONG %s\r\n' "${line#PING }" >&3 ;;
      *" 001 "*) printf 'PRIVMSG NickServ :REGISTER %s %s@example.com\r\n' "$ACCOUNT_PASSWORD" "$nick" >&3 ;;
      *NickServ*registered*|*NickServ*already*|*"isn't"*|*NickServ*"is reserved"*)
        printf 'QUIT\r\n' >&3; exec 3>&-; return 0 ;;
      *" 433 "*) nick="${nick}_"; printf 'NICK %s\r\n' "$nick" >&3 ;;
    esac
  done
  exec 3>&-
  return 1
}
# Services need a moment after linking; retry for up to ~20 s.
for n in "$@"; do
  ok=0
  for attempt in $(seq 20); do
    if register "$n"; then ok=1; break; fi
    sleep 1
  done
  [ $ok -eq 1 ] || { echo "register.sh: could not register $n (are services linked? see $RUN_DIR/anope/)" >&2; exit 1; }
done
