-- 016_golden_runs.sql - the run queue of regression runs, trials and model
-- benchmarks (golden_runs.h), the promotion gate of a prompt, and what a
-- status change of a version was about.
--
-- A run is a row of golden_runs and one row of golden_run_items per sample
-- (per sample and model for a benchmark), written in one transaction when
-- the run is started. The background runners of the worker processes
-- (run_worker.c) claim queued items one at a time with a lease:
-- claimed_by (the process, runner.h) and lease_until. A finished item and
-- the counters of its run change in one transaction, so the counters are
-- exact whatever runs at once. An item whose process died is queued again
-- (or, after its last attempt, marked interrupted) when the next runner of
-- its host starts or its lease ends: none stays running forever.
-- Each item snapshots its sample (name, variables, expected output,
-- checks), so that a run reads the same tomorrow whatever is edited.

CREATE TABLE IF NOT EXISTS golden_runs (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  prompt_id       BIGINT UNSIGNED NOT NULL,
  kind            ENUM('regression','trial','benchmark') NOT NULL,
  -- the version run; NULL for a trial, which runs draft instead
  version_id      BIGINT UNSIGNED NULL,
  version_number  INT UNSIGNED NULL,
  -- trial: the unsaved editor content (JSON {messages, model, params,
  -- variables}); it creates no version
  draft           MEDIUMTEXT NULL,
  -- JSON array of the model ids (one for a regression or a trial)
  models          TEXT NOT NULL,
  -- how its executions count: started on the site or through the API
  channel         ENUM('UI','API') NOT NULL,
  api_key_id      BIGINT UNSIGNED NULL,
  -- stopped: by its owner; stopped_limit: at a limit of the plan
  status          ENUM('queued','running','completed','stopped','stopped_limit',
                  'failed') NOT NULL DEFAULT 'queued',
  -- stopped_limit / failed: the sentence of why
  message         VARCHAR(1000) NULL,
  items_total     INT UNSIGNED NOT NULL,
  items_done      INT UNSIGNED NOT NULL DEFAULT 0,
  passed          INT UNSIGNED NOT NULL DEFAULT 0,
  failed          INT UNSIGNED NOT NULL DEFAULT 0,
  errors          INT UNSIGNED NOT NULL DEFAULT 0,
  interrupted     INT UNSIGNED NOT NULL DEFAULT 0,
  -- not run because the run stopped at a limit
  skipped         INT UNSIGNED NOT NULL DEFAULT 0,
  -- sum of the items' scores (0..1 each); the run's score is the mean
  score_sum       DOUBLE NOT NULL DEFAULT 0,
  input_tokens    BIGINT NOT NULL DEFAULT 0,
  output_tokens   BIGINT NOT NULL DEFAULT 0,
  cost_micros     BIGINT NOT NULL DEFAULT 0,
  -- the rubric judges' executions, billed like any, shown apart
  judge_cost_micros BIGINT NOT NULL DEFAULT 0,
  latency_ms      BIGINT NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  started_at      BIGINT NULL,
  finished_at     BIGINT NULL,
  KEY ix_golden_runs_user (user_id, kind, id),
  KEY ix_golden_runs_prompt (prompt_id, kind, status, id),
  KEY ix_golden_runs_version (version_id, kind, status, id),
  CONSTRAINT fk_golden_runs_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_golden_runs_prompt FOREIGN KEY (prompt_id)
    REFERENCES prompts (id) ON DELETE CASCADE,
  CONSTRAINT fk_golden_runs_version FOREIGN KEY (version_id)
    REFERENCES prompt_versions (id) ON DELETE CASCADE,
  CONSTRAINT ck_golden_runs_models CHECK (JSON_VALID(models)),
  CONSTRAINT ck_golden_runs_draft CHECK (draft IS NULL OR JSON_VALID(draft))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS golden_run_items (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id          BIGINT UNSIGNED NOT NULL,
  -- the run's owner, for the count of the account's items running
  user_id         BIGINT UNSIGNED NOT NULL,
  -- the order of results: the samples' order, then the models'
  position        INT UNSIGNED NOT NULL,
  sample_id       BIGINT UNSIGNED NULL,
  sample_name     VARCHAR(200) NOT NULL,
  variables       MEDIUMTEXT NOT NULL,
  expected        MEDIUMTEXT NULL,
  checks          MEDIUMTEXT NOT NULL,
  threshold       DOUBLE NULL,
  judge_model     VARCHAR(200) NULL,
  model           VARCHAR(200) NOT NULL,
  status          ENUM('queued','running','passed','failed','error',
                  'interrupted','skipped') NOT NULL DEFAULT 'queued',
  claimed_by      VARCHAR(120) NULL,
  lease_until     BIGINT NULL,
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  -- not claimed before (a run of the account at its cap of runs at once)
  not_before      BIGINT NOT NULL DEFAULT 0,
  execution_id    BIGINT UNSIGNED NULL,
  output          MEDIUMTEXT NULL,
  finish_reason   VARCHAR(32) NULL,
  -- JSON array of {type, pass, reason, error?, diff?}
  results         MEDIUMTEXT NULL,
  score           DOUBLE NULL,
  error           VARCHAR(1000) NULL,
  input_tokens    BIGINT NULL,
  output_tokens   BIGINT NULL,
  cost_micros     BIGINT NULL,
  judge_cost_micros BIGINT NULL,
  latency_ms      BIGINT NULL,
  ttft_ms         BIGINT NULL,
  finished_at     BIGINT NULL,
  UNIQUE KEY uq_golden_items_position (run_id, position),
  KEY ix_golden_items_queue (status, not_before, run_id),
  KEY ix_golden_items_claimed (status, claimed_by),
  KEY ix_golden_items_user (user_id, status),
  CONSTRAINT fk_golden_items_run FOREIGN KEY (run_id) REFERENCES golden_runs (id)
    ON DELETE CASCADE,
  CONSTRAINT ck_golden_items_variables CHECK (JSON_VALID(variables)),
  CONSTRAINT ck_golden_items_checks CHECK (JSON_VALID(checks))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The promotion gate of a prompt: a version may become PRODUCTION only
-- when its last regression run passed every sample (and reached the
-- minimum score, and cost at most the maximum, when set).
ALTER TABLE prompts ADD COLUMN gate_required BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN gate_min_score DOUBLE NULL,
  ADD COLUMN gate_max_cost_micros BIGINT NULL;

-- What a status change was: the action (a promotion of a version older
-- than the one in production is a rollback), the version in production
-- before it, and the regression run that let it through the gate.
ALTER TABLE version_status_changes
  ADD COLUMN action ENUM('create','promote','rollback','archive','replaced')
    NULL,
  ADD COLUMN from_version INT UNSIGNED NULL,
  ADD COLUMN gating_run_id BIGINT UNSIGNED NULL,
  ADD CONSTRAINT fk_status_changes_run FOREIGN KEY (gating_run_id)
    REFERENCES golden_runs (id) ON DELETE SET NULL;
