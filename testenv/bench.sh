#!/usr/bin/env bash
# Benchmark: starts the test servers (loopback), builds the jar, runs opsbot.bot.bench.Benchmark, which
# prints its figures. Not a test: it asserts nothing, it measures.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../scripts/jdk.sh"
"$here/install.sh"
trap '"$here/down.sh"' EXIT
"$here/up.sh"
cd "$here/.."
mvn -q -B -ntp package -DskipTests
mvn -q -B -ntp -pl bot -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
java -cp "bot/target/test-classes:bot/target/classes:$(cat bot/target/bench.cp)" opsbot.bot.bench.Benchmark
