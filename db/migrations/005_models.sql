-- 005_models.sql - the model catalog, synchronised from OpenRouter's
-- GET /models by "pm-admin models sync". Prices are integers: nano-dollars
-- (1e-9 USD) per token, parsed exactly from OpenRouter's decimal strings
-- and rounded up ("0.00000015" USD per token is 150).

CREATE TABLE IF NOT EXISTS models (
  -- OpenRouter's id, e.g. "openai/gpt-4o-mini", "meta-llama/x:free"
  id                      VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin
                          NOT NULL PRIMARY KEY,
  name                    VARCHAR(200) NOT NULL,
  -- the part of the id before '/'
  provider                VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin
                          NOT NULL,
  context_length          INT UNSIGNED NULL,
  price_prompt_nanos      BIGINT NOT NULL,
  price_completion_nanos  BIGINT NOT NULL,
  -- the id ends with ":free" or both prices are 0
  is_free                 BOOLEAN NOT NULL,
  -- the admin allows it on the FREE plan; a sync sets it to is_free for
  -- new models and never changes it afterwards
  free_tier               BOOLEAN NOT NULL,
  -- present in the last sync; inactive models cannot be executed
  active                  BOOLEAN NOT NULL DEFAULT TRUE,
  created_at              BIGINT NOT NULL,
  updated_at              BIGINT NOT NULL,
  KEY ix_models_active (active, provider, name),
  CONSTRAINT ck_models_prices CHECK (price_prompt_nanos >= 0
    AND price_completion_nanos >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
