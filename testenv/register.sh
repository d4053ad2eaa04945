#!/usr/bin/env bash
# Registers NickServ accounts (password from ports.sh) over a plain loopback connection, once: Anope's
# database keeps them between runs.
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
      *" 401 "*) printf 'QUIT\r\n' >&3; exec 3>&-; return 1 ;;   # services not linked (yet): try again soon
      *" 433 "*) printf 'QUIT\r\n' >&3; exec 3>&-; return 1 ;;   # the nick is in use right now
    esac
  done
  exec 3>&-
  return 1
}
# Services need a moment after linking; retry for up to ~20 s. Accounts already in the services database
# are skipped: connecting under their nick would take it from a bot that is reconnecting just then.
db="$RUN_DIR/anope/data/anope.db"
for n in "$@"; do
  if [ -f "$db" ] && grep -qx "DATA display $n" "$db"; then continue; fi
  ok=0
  for attempt in $(seq 20); do
    if register "$n"; then ok=1; break; fi
    sleep 1
  done
  [ $ok -eq 1 ] || { echo "register.sh: could not register $n (are services linked? see $RUN_DIR/anope/)" >&2; exit 1; }
done
