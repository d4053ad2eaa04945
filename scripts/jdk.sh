# Sourced by opsbot's scripts: exports JAVA_HOME (and PATH) for a JDK >= 21.
# Order: $JAVA_HOME if new enough, the `java` on PATH, then the newest JDK under /usr/lib/jvm.
_opsbot_java_major() { # prints the major version of the java binary $1
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}
_opsbot_find_jdk() {
  local cand v
  for cand in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")" \
              $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    cand=${cand%/}
    [ -n "$cand" ] && [ -x "$cand/bin/javac" ] || continue
    v=$(_opsbot_java_major "$cand/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$cand"; return 0; fi
  done
  return 1
}
if ! JAVA_HOME=$(_opsbot_find_jdk); then
  echo "opsbot: no JDK 21 or newer found (looked at \$JAVA_HOME, PATH and /usr/lib/jvm); install one, e.g. openjdk-21-jdk" >&2
  exit 1
fi
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
# Maven's own libraries poke at sun.misc.Unsafe; newer JDKs warn about it on every run. Quiet that.
if [ "$(_opsbot_java_major "$JAVA_HOME/bin/java")" -ge 24 ]; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
