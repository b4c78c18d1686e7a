-- 004_plans.sql - plans as data: catalogs of limits loaded from
-- conf/plans/*.json by "pm-admin plans load", the plan of each user, and
-- application settings (the active catalog, name 'plans.catalog').
-- In every limit column NULL means unlimited / not applicable. Plans are
-- never deleted (users may be on them): a plan that leaves its catalog file
-- stops being public. The database itself enforces one default plan per
-- catalog (unique generated key) and unique codes per catalog.

CREATE TABLE IF NOT EXISTS plans (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- same collation as app_settings.value, which names the active catalog
  catalog         VARCHAR(64) NOT NULL,
  code            VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name            VARCHAR(100) NOT NULL,
  position        INT UNSIGNED NOT NULL,
  -- the plan of users with no user_plans row (one per catalog)
  is_default      BOOLEAN NOT NULL,
  -- shown on the pricing page
  is_public       BOOLEAN NOT NULL,
  -- equals catalog only on the default row: the unique key below makes a
  -- second default plan in a catalog impossible
  default_key     VARCHAR(64) AS (IF(is_default, catalog, NULL)) PERSISTENT,
  -- prices in integer cents; NULL: not offered / not published
  price_monthly_cents      BIGINT NULL,
  price_annual_cents       BIGINT NULL,
  price_byok_monthly_cents BIGINT NULL,
  price_byok_annual_cents  BIGINT NULL,
  price_per_seat  BOOLEAN NOT NULL,
  price_custom    BOOLEAN NOT NULL,     -- "Custom": contact sales
  -- execution quotas: calendar day and month in UTC, platform keys only;
  -- with limits_per_seat, multiplied by the seats of the account
  executions_per_day   BIGINT NULL,
  executions_per_month BIGINT NULL,
  limits_per_seat BOOLEAN NOT NULL,
  -- channels counted toward the quotas, and channels allowed to execute
  counted_channels SET('ui','api') NOT NULL,
  allowed_channels SET('ui','api') NOT NULL,
  -- rate limits per clock minute and per UTC day
  burst_per_minute     BIGINT NULL,
  burst_per_day        BIGINT NULL,
  -- past soft_cap_per_month executions in the month, at most
  -- throttle_per_minute executions per minute
  soft_cap_per_month   BIGINT NULL,
  throttle_per_minute  BIGINT NULL,
  -- models on the platform's keys; model_list is a JSON array of ids for
  -- 'whitelist' and 'blacklist', [] otherwise
  models          ENUM('free','whitelist','blacklist','all') NOT NULL,
  model_list      JSON NOT NULL,
  byok_models     ENUM('none','all') NOT NULL,
  api_access      BOOLEAN NOT NULL,
  api_keys        BIGINT NULL,          -- 0: none
  byok_allowed    BOOLEAN NOT NULL,
  log_retention_days       BIGINT NULL,
  cache_ttl_hours          BIGINT NULL,
  -- platform-key upstream cost in micro-dollars (1 USD = 1,000,000)
  daily_spend_cap_micros   BIGINT NULL,
  monthly_budget_micros    BIGINT NULL,
  max_tokens_per_execution BIGINT NULL,
  sandbox_tries_per_day    BIGINT NULL,
  seats_included           BIGINT NULL,
  seats_max                BIGINT NULL,
  -- display-only extras: {"name": string | boolean | integer}
  features        JSON NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE KEY uq_plans_code (catalog, code),
  UNIQUE KEY uq_plans_one_default (default_key),
  KEY ix_plans_public (catalog, is_public, position),
  CONSTRAINT ck_plans_model_list CHECK (JSON_VALID(model_list)),
  CONSTRAINT ck_plans_features CHECK (JSON_VALID(features))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A user's plan when it is not the active catalog's default: set by an
-- admin (pm-admin set-plan) or by billing.
CREATE TABLE IF NOT EXISTS user_plans (
  user_id         BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  plan_id         BIGINT UNSIGNED NOT NULL,
  source          ENUM('default','admin','stripe') NOT NULL,
  assigned_at     BIGINT NOT NULL,
  KEY ix_user_plans_plan (plan_id),
  CONSTRAINT fk_user_plans_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_user_plans_plan FOREIGN KEY (plan_id) REFERENCES plans (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Installation-wide settings changed at run time (not configuration).
CREATE TABLE IF NOT EXISTS app_settings (
  name            VARCHAR(64) NOT NULL PRIMARY KEY,
  value           TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
