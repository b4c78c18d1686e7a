-- 008_login_devices_signup_attempts.sql - log-in throttling that cannot
-- lock a user out from the devices they log in from, and sign-up limits
-- per address and network.
--
-- A device that logged in successfully gets a cookie whose SHA-256 is
-- kept here; its failures count apart from those of unknown clients, so
-- failures from elsewhere never lock it out.

CREATE TABLE IF NOT EXISTS login_devices (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  token_hash      CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at      BIGINT NOT NULL,
  last_used_at    BIGINT NOT NULL,
  UNIQUE KEY uq_login_devices_token (token_hash),
  KEY ix_login_devices_user (user_id),
  CONSTRAINT fk_login_devices_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- NULL: a failure from an unknown client; else the device it came from.
ALTER TABLE login_failures ADD COLUMN device_id BIGINT UNSIGNED NULL,
  ADD KEY ix_login_failures_device (device_id, at);

CREATE TABLE IF NOT EXISTS signup_attempts (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  addr            VARCHAR(45) NOT NULL,
  -- the address's /24 (IPv4) or /64 (IPv6)
  network         VARCHAR(45) NOT NULL,
  at              BIGINT NOT NULL,
  KEY ix_signup_attempts_addr (addr, at),
  KEY ix_signup_attempts_network (network, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Prompts whose slug is now a path of the site ("new", "import") move to
-- a free one, so that their page opens.
UPDATE prompts SET slug = CONCAT(slug, '-', id)
  WHERE slug IN ('new', 'import') AND deleted_at IS NULL;
