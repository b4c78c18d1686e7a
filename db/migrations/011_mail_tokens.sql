-- 011_mail_tokens.sql - links sent by e-mail (password reset, change of
-- e-mail address), the outbox the background sender delivers from, and
-- the requests counted to throttle both.
--
-- A link's token is 256 random bits; only its SHA-256 is kept here. Its
-- mail goes into mail_outbox in the same transaction as the token row, so
-- a link exists exactly when its mail is queued. The outbox row holds the
-- message (and so the link) only until the server accepted it: a
-- delivered row is deleted.

CREATE TABLE IF NOT EXISTS mail_tokens (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  purpose         ENUM('reset','email_change') NOT NULL,
  token_hash      CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  -- pending: usable until expires_at; used: it did its job; void: another
  -- link of the user was used, or the request was cancelled
  state           ENUM('pending','used','void') NOT NULL DEFAULT 'pending',
  -- email_change: the address asked for, as typed and normalised
  new_email       VARCHAR(254) NULL,
  new_email_norm  VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  used_at         BIGINT NULL,
  UNIQUE KEY uq_mail_tokens_hash (token_hash),
  KEY ix_mail_tokens_user (user_id, purpose, state),
  KEY ix_mail_tokens_expires (expires_at),
  CONSTRAINT fk_mail_tokens_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Messages waiting for the SMTP server. A sender claims rows by setting
-- claimed_by (its process, runner.h) and claimed_until (a lease longer
-- than one delivery): a sender that dies leaves its rows to be claimed
-- again when the lease ends, or at once by the next sender of its host
-- that sees it is gone. A failed attempt schedules the next one
-- (next_attempt_at, growing backoff); a message still undelivered after
-- mail_give_up_seconds becomes 'failed' and stays for the operator.
CREATE TABLE IF NOT EXISTS mail_outbox (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- whose mail it is (NULL: the account is gone, e.g. its farewell)
  user_id         BIGINT UNSIGNED NULL,
  -- the link it carries: a message whose link was voided or expired
  -- before delivery is dropped, not sent
  token_id        BIGINT UNSIGNED NULL,
  kind            VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_addr         VARCHAR(254) NOT NULL,
  subject         VARCHAR(255) NOT NULL,
  body            TEXT NOT NULL,
  status          ENUM('queued','failed') NOT NULL DEFAULT 'queued',
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  created_at      BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  claimed_by      VARCHAR(120) NULL,
  claimed_until   BIGINT NULL,
  last_error      VARCHAR(255) NULL,
  KEY ix_mail_outbox_due (status, next_attempt_at),
  KEY ix_mail_outbox_claimed (claimed_by),
  KEY ix_mail_outbox_user (user_id),
  CONSTRAINT fk_mail_outbox_user FOREIGN KEY (user_id) REFERENCES users (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_mail_outbox_token FOREIGN KEY (token_id)
    REFERENCES mail_tokens (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every request for a link, whether or not the address has an account,
-- counted per address asked for and per client address.
CREATE TABLE IF NOT EXISTS mail_requests (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  purpose         ENUM('reset','email_change') NOT NULL,
  email_norm      VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  addr            VARCHAR(45) NOT NULL,
  at              BIGINT NOT NULL,
  KEY ix_mail_requests_email (purpose, email_norm, at),
  KEY ix_mail_requests_addr (purpose, addr, at),
  KEY ix_mail_requests_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
