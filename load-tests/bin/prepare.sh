# shellcheck shell=bash
# Sourced by the load-tests/bin scripts: from the repository root, builds load-tests (and what it
# depends on) when needed and picks a JDK >= 21 (exports JAVA_HOME). Classpath afterwards:
# 'load-tests/target/classes:load-tests/target/lib/*'.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
./mvnw -B -q -DskipTests package -pl load-tests -am
# shellcheck source=../../bin/jdk.sh
. bin/jdk.sh
finchstream_pick_jdk
