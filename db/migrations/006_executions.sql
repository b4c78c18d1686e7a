-- 006_executions.sql - every execution, and the usage counters admission
-- reserves against. Counters are rows keyed by UTC period (day YYYYMMDD,
-- month YYYYMM, minute = epoch/60) so a new period starts from zero by
-- itself; admission locks the user's row, checks and increments them in
-- one transaction, so concurrent attempts are admitted exactly.

CREATE TABLE IF NOT EXISTS executions (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  prompt_id       BIGINT UNSIGNED NOT NULL,
  version_id      BIGINT UNSIGNED NOT NULL,
  version_number  INT UNSIGNED NOT NULL,
  model           VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  channel         ENUM('UI','API') NOT NULL,
  billing         ENUM('SYSTEM','BYOK') NOT NULL DEFAULT 'SYSTEM',
  status          ENUM('RUNNING','SUCCEEDED','FAILED','CANCELLED') NOT NULL,
  error_type      VARCHAR(64) NULL,
  error_message   VARCHAR(1000) NULL,
  upstream_status INT NULL,
  input_tokens    BIGINT NULL,
  output_tokens   BIGINT NULL,
  -- micro-dollars; reserved at admission, replaced by the actual amount
  cost_micros     BIGINT NOT NULL DEFAULT 0,
  cost_source     ENUM('none','provider','price_table') NOT NULL DEFAULT 'none',
  reserved_micros BIGINT NOT NULL DEFAULT 0,
  -- whether it counts against the plan's execution quotas, and the
  -- counter periods it was admitted in (released into the same ones)
  counted         BOOLEAN NOT NULL DEFAULT TRUE,
  day_key         INT UNSIGNED NOT NULL,
  month_key       INT UNSIGNED NOT NULL,
  minute_key      BIGINT UNSIGNED NOT NULL,
  latency_ms      INT UNSIGNED NULL,
  ttft_ms         INT UNSIGNED NULL,
  streamed        BOOLEAN NOT NULL DEFAULT FALSE,
  input           MEDIUMTEXT NOT NULL,   -- rendered messages (JSON)
  variables       TEXT NOT NULL,         -- values given (JSON)
  params          TEXT NOT NULL,         -- parameters sent (JSON)
  output          MEDIUMTEXT NOT NULL,
  upstream_id     VARCHAR(128) NULL,
  created_at      BIGINT NOT NULL,
  finished_at     BIGINT NULL,
  KEY ix_exec_user (user_id, id),
  KEY ix_exec_user_prompt (user_id, prompt_id, id),
  KEY ix_exec_user_status (user_id, status, id),
  KEY ix_exec_user_model (user_id, model, id),
  KEY ix_exec_user_created (user_id, created_at, id),
  CONSTRAINT fk_exec_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_exec_prompt FOREIGN KEY (prompt_id) REFERENCES prompts (id),
  CONSTRAINT fk_exec_version FOREIGN KEY (version_id)
    REFERENCES prompt_versions (id),
  CONSTRAINT ck_exec_input CHECK (JSON_VALID(input)),
  CONSTRAINT ck_exec_variables CHECK (JSON_VALID(variables)),
  CONSTRAINT ck_exec_params CHECK (JSON_VALID(params))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS usage_counters (
  user_id         BIGINT UNSIGNED NOT NULL,
  period          ENUM('minute','day','month') NOT NULL,
  period_key      BIGINT UNSIGNED NOT NULL,
  executions      INT NOT NULL DEFAULT 0,
  spend_micros    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, period, period_key),
  CONSTRAINT fk_usage_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
