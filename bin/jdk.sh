# shellcheck shell=bash
# Sourced by ./finchstream, ./mvnw and .ci/run: picks a JDK >= 21 and exports JAVA_HOME.
# Order: $JAVA_HOME when it is new enough, else the newest JDK under /usr/lib/jvm.

finchstream_java_major() { # $1 = java binary; prints the major version or nothing
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)
  case "$v" in 1.*) v=${v#1.}; v=${v%%.*} ;; esac
  printf '%s' "${v%%.*}"
}

finchstream_pick_jdk() {
  local min=21 best="" best_major=0 dir major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(finchstream_java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  fi
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] && [ ! -L "$dir" ] || continue
    major=$(finchstream_java_major "$dir/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best=$dir best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "finchstream: no JDK >= $min found (JAVA_HOME=${JAVA_HOME:-unset}; looked under /usr/lib/jvm)." >&2
    echo "finchstream: install one (e.g. Temurin 25) or point JAVA_HOME at it." >&2
    return 1
  fi
  export JAVA_HOME=$best PATH="$best/bin:$PATH"
}
