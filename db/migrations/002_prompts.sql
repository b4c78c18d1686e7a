-- 002_prompts.sql - categories, prompts, immutable versions and their
-- status history. The database itself enforces: one PRODUCTION version per
-- prompt (unique generated key), version content never changes (trigger),
-- numbering unique per prompt, slugs unique per owner among live prompts.

CREATE TABLE IF NOT EXISTS categories (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  name            VARCHAR(100) NOT NULL,
  -- case-insensitive uniqueness per owner ("Email" and "email" clash)
  name_key        VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
                  AS (LOWER(name)) PERSISTENT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE KEY uq_categories_name (user_id, name_key),
  CONSTRAINT fk_categories_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS prompts (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  slug            VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name            VARCHAR(200) NOT NULL,
  description     TEXT NOT NULL,
  category_id     BIGINT UNSIGNED NULL,
  -- number of the last version created (versions are numbered 1, 2, 3...)
  latest_version  INT UNSIGNED NOT NULL DEFAULT 0,
  -- number of the PRODUCTION version, kept in the promotion transaction
  production_version INT UNSIGNED NULL,
  -- name, description and the latest version's text, for search
  search_text     MEDIUMTEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  -- deleting archives the prompt: executions keep referring to it
  deleted_at      BIGINT NULL,
  -- the slug is reserved only while the prompt is live
  live_slug       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin
                  AS (IF(deleted_at IS NULL, slug, NULL)) PERSISTENT,
  UNIQUE KEY uq_prompts_slug (user_id, live_slug),
  KEY ix_prompts_user_updated (user_id, deleted_at, updated_at, id),
  KEY ix_prompts_user_name (user_id, deleted_at, name, id),
  KEY ix_prompts_user_created (user_id, deleted_at, created_at, id),
  KEY ix_prompts_category (category_id),
  CONSTRAINT fk_prompts_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_prompts_category FOREIGN KEY (category_id)
    REFERENCES categories (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS prompt_versions (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  prompt_id       BIGINT UNSIGNED NOT NULL,
  number          INT UNSIGNED NOT NULL,
  status          ENUM('DRAFT','PRODUCTION','ARCHIVED') NOT NULL DEFAULT 'DRAFT',
  -- equals prompt_id only on the PRODUCTION row: the unique key below
  -- makes a second PRODUCTION version of a prompt impossible
  production_key  BIGINT UNSIGNED AS (IF(status = 'PRODUCTION', prompt_id, NULL))
                  PERSISTENT,
  messages        MEDIUMTEXT NOT NULL,   -- JSON array of {role, content}
  model           VARCHAR(200) NOT NULL,
  params          TEXT NOT NULL,         -- JSON {temperature, top_p, max_tokens, stop}
  variables       MEDIUMTEXT NOT NULL,   -- JSON array of declarations
  commit_message  VARCHAR(500) NOT NULL DEFAULT '',
  author_id       BIGINT UNSIGNED NOT NULL,
  created_at      BIGINT NOT NULL,
  UNIQUE KEY uq_versions_number (prompt_id, number),
  UNIQUE KEY uq_versions_one_production (production_key),
  CONSTRAINT fk_versions_prompt FOREIGN KEY (prompt_id) REFERENCES prompts (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_versions_author FOREIGN KEY (author_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT ck_versions_messages CHECK (JSON_VALID(messages)),
  CONSTRAINT ck_versions_params CHECK (JSON_VALID(params)),
  CONSTRAINT ck_versions_variables CHECK (JSON_VALID(variables))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS version_status_changes (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  version_id      BIGINT UNSIGNED NOT NULL,
  from_status     ENUM('DRAFT','PRODUCTION','ARCHIVED') NULL,  -- NULL: created
  to_status       ENUM('DRAFT','PRODUCTION','ARCHIVED') NOT NULL,
  user_id         BIGINT UNSIGNED NOT NULL,
  created_at      BIGINT NOT NULL,
  KEY ix_status_changes_version (version_id, id),
  CONSTRAINT fk_status_changes_version FOREIGN KEY (version_id)
    REFERENCES prompt_versions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DROP TRIGGER IF EXISTS prompt_versions_immutable;
DELIMITER //
CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON prompt_versions
FOR EACH ROW
BEGIN
  IF NOT (NEW.prompt_id <=> OLD.prompt_id AND NEW.number <=> OLD.number
      AND NEW.messages <=> OLD.messages AND NEW.model <=> OLD.model
      AND NEW.params <=> OLD.params AND NEW.variables <=> OLD.variables
      AND NEW.commit_message <=> OLD.commit_message
      AND NEW.author_id <=> OLD.author_id AND NEW.created_at <=> OLD.created_at)
  THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'prompt versions are immutable';
  END IF;
END//
DELIMITER ;
