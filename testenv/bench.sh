#!/usr/bin/env bash
# Benchmark: with the test servers up, builds the jar and runs opsbot.bot.bench.Benchmark, which prints
# its figures. Not a test: it asserts nothing, it measures.
exec "$(dirname "${BASH_SOURCE[0]}")/with-servers.sh" bash -c '
  set -euo pipefail
  mvn -q -B -ntp package -DskipTests
  mvn -q -B -ntp -pl bot -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
  java -cp "bot/target/test-classes:bot/target/classes:$(cat bot/target/bench.cp)" opsbot.bot.bench.Benchmark'
