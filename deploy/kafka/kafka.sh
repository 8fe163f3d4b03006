#!/usr/bin/env bash
# Runs a real Apache Kafka broker (KRaft, one node) on 127.0.0.1 from jars fetched from Maven Central.
#   kafka.sh up      fetch jars if needed, format storage once, start (or reuse) the broker, wait until it answers
#   kafka.sh down    stop the broker started by `up` (SIGTERM, then wait)
#   kafka.sh status  say whether it runs
# Everything lives under $KAFKA_HOME_DIR (default: <repo>/.local/kafka), which `make clean` removes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
home=${KAFKA_HOME_DIR:-$repo/.local/kafka}
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
libs=$repo/.local/kafka/libs          # jars are shared by every broker home
python=${PYTHON:-$repo/.venv/bin/python}
pidfile=$home/broker.pid
logdir=$home/logs

java_args=(-Xmx768m -Xms256m -XX:+UseG1GC
  -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$logdir" -cp "$libs/*")
java_cmd() { java "${java_args[@]}" "$@"; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

fetch_jars() {
  if [ -f "$libs/.complete" ]; then return; fi
  echo "kafka: fetching broker jars from Maven Central into $libs"
  mkdir -p "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs"
  touch "$libs/.complete"
}

configure() {
  mkdir -p "$home" "$logdir"
  sed -e "s#@DATA_DIR@#$home#g" -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$controller_port#g" \
    "$here/server.properties.in" > "$home/server.properties"
  if [ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]; then cat "$KAFKA_EXTRA_PROPERTIES" >> "$home/server.properties"; fi
  if [ ! -f "$home/data/meta.properties" ]; then
    local id
    id=$(java_cmd kafka.tools.StorageTool random-uuid | tail -1)
    # shellcheck disable=SC2086  # KAFKA_FORMAT_ARGS is a list of extra words on purpose
    java_cmd kafka.tools.StorageTool format --standalone --cluster-id "$id" \
      --config "$home/server.properties" ${KAFKA_FORMAT_ARGS:-} > "$logdir/format.log"
  fi
}

answers() { "$python" "$here/wait_ready.py" "127.0.0.1:$port" "$1"; }

wait_ready() {
  answers "${KAFKA_WAIT_S:-90}" || {
    echo "kafka: broker did not answer; last lines of $logdir/stdout.log:" >&2
    tail -n 30 "$logdir/stdout.log" >&2 || true
    exit 1
  }
}

up() {
  if running; then
    echo "kafka: reusing broker pid $(cat "$pidfile") on 127.0.0.1:$port"
  elif answers 2; then
    echo "kafka: a broker not started from $home already answers on 127.0.0.1:$port; using it"
    return
  else
    fetch_jars
    configure
    nohup java "${java_args[@]}" kafka.Kafka "$home/server.properties" > "$logdir/stdout.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo "kafka: started broker pid $! on 127.0.0.1:$port"
  fi
  wait_ready
  echo "kafka: ready on 127.0.0.1:$port; log: $logdir/server.log (stdout: $logdir/stdout.log)"
}

down() {
  if ! running; then echo "kafka: not running"; rm -f "$pidfile"; return; fi
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then echo "kafka: still up after 30 s, killing" >&2; kill -KILL "$pid"; fi
  rm -f "$pidfile"
  echo "kafka: stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "kafka: running, pid $(cat "$pidfile")"; else echo "kafka: not running"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
