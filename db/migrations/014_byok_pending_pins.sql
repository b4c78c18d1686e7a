-- 014_byok_pending_pins.sql - BYOK: a key tested but not yet saved, the
-- status of a failing key, the key a prompt is pinned to, and the day
-- counter of BYOK runs (the per-day burst counts them, the plan's daily
-- quota does not).

-- Settings > BYOK: Test checks the key with its provider and keeps it here,
-- sealed like a saved key (vault.h), until Save makes it the user's key
-- (at most 15 minutes later). One per user.
CREATE TABLE IF NOT EXISTS byok_pending (
  user_id         BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  provider        VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sealed          TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  vault_key_id    CHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  last4           VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  base_url        VARCHAR(500) NULL,
  tested_at       BIGINT NOT NULL,
  KEY ix_byok_pending_vault_key (vault_key_id),
  KEY ix_byok_pending_tested (tested_at),
  CONSTRAINT fk_byok_pending_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The provider's HTTP status that marked the key failing (401, 402, 429).
ALTER TABLE byok_keys ADD COLUMN IF NOT EXISTS failing_status SMALLINT NULL
  AFTER failing_reason;

-- The key a prompt's runs use: NULL automatic, 'system' the platform's,
-- else a provider of byok_keys (cleared when that key is deleted).
ALTER TABLE prompts ADD COLUMN IF NOT EXISTS byok_pin VARCHAR(32)
  CHARACTER SET ascii COLLATE ascii_bin NULL AFTER category_id;

-- BYOK runs of a UTC day (period_key YYYYMMDD), for the per-day burst.
ALTER TABLE usage_counters MODIFY period
  ENUM('minute','day','month','byok_day') NOT NULL;
