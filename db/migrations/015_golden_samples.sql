-- 015_golden_samples.sql - golden samples: per prompt, named sets of
-- variable values with an optional expected output and the checks an
-- execution's outcome must pass (app/samples.h, app/checks.h,
-- docs/GOLDEN.md).

CREATE TABLE IF NOT EXISTS golden_samples (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  prompt_id       BIGINT UNSIGNED NOT NULL,
  -- unique per prompt in any letter case (the collation)
  name            VARCHAR(200) NOT NULL,
  -- the variable values (JSON object, name -> value); names that the
  -- version does not declare are kept: a run reports them
  variables       TEXT NOT NULL,
  -- NULL: none (checks that compare with it need their own value)
  expected_output MEDIUMTEXT NULL,
  -- weighted score (0..1) a run must reach; NULL: every check passes
  threshold       DOUBLE NULL,
  -- model of the rubric checks' judge; NULL: the sample has no rubric
  judge_model     VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NULL,
  -- the checks, a JSON array normalised by checks_to_json (checks.h)
  checks          MEDIUMTEXT NOT NULL,
  created_from_execution_id BIGINT UNSIGNED NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE KEY uq_samples_name (prompt_id, name),
  KEY ix_samples_user_prompt (user_id, prompt_id, id),
  KEY ix_samples_execution (created_from_execution_id),
  CONSTRAINT fk_samples_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_samples_prompt FOREIGN KEY (prompt_id) REFERENCES prompts (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_samples_execution FOREIGN KEY (created_from_execution_id)
    REFERENCES executions (id) ON DELETE SET NULL,
  CONSTRAINT ck_samples_variables CHECK (JSON_VALID(variables)),
  CONSTRAINT ck_samples_checks CHECK (JSON_VALID(checks)),
  CONSTRAINT ck_samples_threshold CHECK (threshold IS NULL OR
    (threshold >= 0 AND threshold <= 1))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
