-- 012_api_keys_byok.sql - API keys of the public API, their monthly spend,
-- and the provider keys users bring (BYOK), sealed by the vault.

-- A key is shown once; only its prefix (to find it) and a keyed hash
-- (HMAC-SHA-256 with the server's secret) are kept.
CREATE TABLE IF NOT EXISTS api_keys (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  name            VARCHAR(100) NOT NULL,
  prefix          CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  hash            CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  scope           ENUM('read','execute','write') NOT NULL,
  expires_at      BIGINT NULL,
  -- micro-dollars per UTC month; NULL: no cap of its own
  monthly_spend_cap_micros BIGINT NULL,
  created_at      BIGINT NOT NULL,
  last_used_at    BIGINT NULL,
  revoked_at      BIGINT NULL,
  UNIQUE KEY ux_api_keys_prefix (prefix),
  KEY ix_api_keys_user (user_id, id),
  CONSTRAINT fk_api_keys_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT ck_api_keys_cap CHECK (monthly_spend_cap_micros IS NULL OR
    monthly_spend_cap_micros >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What each key has spent per UTC month (reserved at admission, settled
-- like the user's counters, in the same transaction).
CREATE TABLE IF NOT EXISTS api_key_usage (
  key_id          BIGINT UNSIGNED NOT NULL,
  month_key       INT UNSIGNED NOT NULL,
  spend_micros    BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, month_key),
  CONSTRAINT fk_api_key_usage_key FOREIGN KEY (key_id) REFERENCES api_keys (id)
    ON DELETE CASCADE
) ENGINE=InnoDB;

-- The key an execution was called with (NULL: the site or a session), and
-- whether it reserved against that key's monthly cap.
ALTER TABLE executions ADD COLUMN api_key_id BIGINT UNSIGNED NULL AFTER channel,
  ADD COLUMN key_counted BOOLEAN NOT NULL DEFAULT FALSE AFTER counted,
  ADD CONSTRAINT fk_exec_api_key FOREIGN KEY (api_key_id)
    REFERENCES api_keys (id) ON DELETE SET NULL;

-- A call of the OpenAI-compatible API names a model, not a prompt: its
-- execution has no prompt or version.
ALTER TABLE executions MODIFY prompt_id BIGINT UNSIGNED NULL,
  MODIFY version_id BIGINT UNSIGNED NULL,
  MODIFY version_number INT UNSIGNED NULL;

-- One key per provider per user, sealed (vault.h): never stored or shown
-- in clear; last4 is all that is ever displayed.
CREATE TABLE IF NOT EXISTS byok_keys (
  user_id         BIGINT UNSIGNED NOT NULL,
  provider        VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sealed          TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  vault_key_id    CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  last4           VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  base_url        VARCHAR(500) NULL,     -- the OpenAI-compatible provider's
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  -- key health: set by a 401, 402 or 429 from the provider, cleared by
  -- the next success
  failing_reason  VARCHAR(300) NULL,
  failing_since   BIGINT NULL,
  PRIMARY KEY (user_id, provider),
  KEY ix_byok_vault_key (vault_key_id),
  CONSTRAINT fk_byok_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
