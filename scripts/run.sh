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

# The worker runs in the background; granian in the foreground, so Ctrl-C reaches it directly
# (a non-interactive shell starts background jobs with SIGINT ignored, and granian then keeps running).
# The scheduler enqueues the periodic jobs of abonent/config/schedule.py for the worker.
background_pids=()
stop_background() {
  trap - INT TERM EXIT
  if [ ${#background_pids[@]} -gt 0 ]; then
    echo "Stopping the task worker and the scheduler..."
    kill "${background_pids[@]}" 2>/dev/null || true
    wait "${background_pids[@]}" 2>/dev/null || true
  fi
}
trap stop_background INT TERM EXIT

if [ "${TASK_BACKEND:-db}" = "rq" ]; then
  $PY manage.py rqworker --job-class django_tasks_rq.Job default &
else
  $PY manage.py db_worker --queue-name '*' &
fi
background_pids+=($!)
$PY manage.py scheduler &
background_pids+=($!)

(
  for _ in $(seq 1 100); do
    curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  $PY manage.py demo_logins --url "http://$HOST:$PORT/"
) &

.venv/bin/granian --interface wsgi --host "$HOST" --port "$PORT" --workers "${WEB_WORKERS:-1}" \
  --blocking-threads "${WEB_THREADS:-8}" abonent.config.wsgi:application
