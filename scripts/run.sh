#!/usr/bin/env bash
# Start Abonent: migrate, load the demo utility if the database is empty, then run the web server
# (granian) and the task worker together. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput -v 0
$PY manage.py demo --if-empty --accounts "${DEMO_ACCOUNTS:-3000}"

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping web server and worker..."
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ "${TASK_BACKEND:-db}" = "rq" ]; then
  $PY manage.py rqworker --job-class django_tasks_rq.Job default &
else
  $PY manage.py db_worker --queue-name '*' &
fi
pids+=($!)
.venv/bin/granian --interface wsgi --host "$HOST" --port "$PORT" --workers "${WEB_WORKERS:-1}" \
  --blocking-threads "${WEB_THREADS:-8}" abonent.config.wsgi:application &
pids+=($!)

for _ in $(seq 1 50); do
  curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
$PY manage.py demo_logins --url "http://$HOST:$PORT/"
wait -n "${pids[@]}"
