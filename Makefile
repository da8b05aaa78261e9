# Two commands for a newcomer: `make run` and `make test` (see README.md); `make serve` and
# `make worker` for production.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# plotly.js's basic build (scatter and bar: what our charts draw), from npm into node_modules/
# (never committed; shizuoka_dx/staticfinders.py serves it). Without npm the full build that
# plotly's Python package ships is served instead.
NODE_STAMP := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest workers (pytest-xdist), each with its own test database: one per core on an idle machine.
# On a machine busy with other work, TEST_WORKERS=0 (one process) is faster.
TEST_WORKERS ?= auto
# PostgreSQL used by the second test run (created by .ci/run in CI).
TEST_POSTGRES_URL ?= postgres://shizuoka_dx:shizuoka_dx@127.0.0.1:5432/shizuoka_dx

# make bench: scratch databases for the generated plans (SQLite files under var/bench/, and
# PostgreSQL databases <BENCH_DB_PREFIX>_<factor> on the server of TEST_POSTGRES_URL).
BENCH_DB_PREFIX ?= shizuoka_dx_scale

.PHONY: run serve worker test setup lint check test-sqlite test-postgres bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "!!! 注意: npm がないため plotly.js の basic 版（1.2 MB）を入れられません。plotly の Python パッケージにある完全版（4.8 MB）を配信します。"; \
	elif npm ci --no-audit --no-fund --loglevel=error; then \
		touch $(NODE_STAMP); \
	else \
		echo "!!! 注意: npm ci に失敗しました。plotly の Python パッケージにある完全版の plotly.js（4.8 MB）を配信します。"; \
	fi

setup: $(STAMP) $(NODE_STAMP)

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_plan --demo --keep-changed-plan
	$(PY) manage.py create_demo_users
	@echo "==> http://$(HOST):$(PORT)/ を開いてください（職員ログインは README.md を参照）"
	@echo "==> バックグラウンド処理のワーカーも起動します（Ctrl+C でサーバーと一緒に止まります）"
	@$(PY) manage.py db_worker --no-reload --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production mode on one machine (README.md, "Production"): DEBUG=false whatever the shell says,
# SECRET_KEY and ALLOWED_HOSTS required (checked first, in one line), never any demo data.
serve: export DEBUG := false
serve: setup
	@$(PY) -m shizuoka_dx.serve
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	@echo "==> 本番モードで http://$(HOST):$(PORT)/ を開きます（gunicorn。終了は Ctrl+C）"
	@echo "==> 様式の書き出し・大きな取り込み・公表には、同じ環境変数で make worker も起動してください"
	exec $(VENV)/bin/gunicorn --config python:shizuoka_dx.gunicorn_conf --bind $(HOST):$(PORT) shizuoka_dx.wsgi

# The background worker in production (README.md, "Production"): beside `make serve`, with the same
# environment, under the service manager; as many as needed, on any machine that reaches the
# database. It takes the next queued job from the database; SIGTERM lets the current one finish.
worker: export DEBUG := false
worker: setup
	@$(PY) -m shizuoka_dx.serve worker
	@echo "==> バックグラウンド処理のワーカーを起動します（終了は Ctrl+C）"
	exec $(PY) manage.py db_worker --no-reload

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	@echo "==> 層の依存関係（import-linter、pyproject.toml の [tool.importlinter]）"
	$(VENV)/bin/lint-imports

check: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test-sqlite: setup
	@echo "==> テスト実行: SQLite（pytest -n $(TEST_WORKERS)）"
	env -u DATABASE_URL $(PY) -m pytest -n $(TEST_WORKERS)

test-postgres: setup
	@if $(PY) -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(TEST_POSTGRES_URL)" 2>/dev/null; then \
		echo "==> テスト実行: PostgreSQL ($(TEST_POSTGRES_URL))（pytest -n $(TEST_WORKERS)）"; \
		DATABASE_URL="$(TEST_POSTGRES_URL)" $(PY) -m pytest -n $(TEST_WORKERS); \
	elif [ "$$CI" = "true" ]; then \
		echo "!!! CI では PostgreSQL が必要ですが、$(TEST_POSTGRES_URL) に接続できません。" >&2; exit 1; \
	else \
		echo "!!! 注意: PostgreSQL ($(TEST_POSTGRES_URL)) に接続できないため、PostgreSQL でのテストを省略しました。"; \
		echo "!!!       .ci/run を root で実行すると PostgreSQL を用意してから全テストを実行します。"; \
	fi

test: lint check test-sqlite test-postgres

# What the app costs at 1x, 10x and 100x the real plan (README.md, "Benchmark"): a printout.
bench: setup
	BENCH_DB_PREFIX="$(BENCH_DB_PREFIX)" TEST_POSTGRES_URL="$(TEST_POSTGRES_URL)" $(PY) tests/bench.py

clean:
	rm -rf $(VENV) node_modules build *.egg-info
