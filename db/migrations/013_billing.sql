-- 013_billing.sql - Stripe billing: the customer of each user, the prices
-- made from the plan catalog, subscriptions, invoices, checkouts, refunds
-- and every webhook event received.
--
-- Stripe is the truth: these rows are what was last read from it. A
-- user's plan is still decided in one place, user_plans (source 'stripe'),
-- which billing sets from these rows. Amounts are integer cents; times are
-- UTC epoch seconds from the application clock, except read_us: the real
-- time in microseconds at which a Stripe object was read, so that a write
-- of an older read never replaces a newer one.

CREATE TABLE IF NOT EXISTS billing_customers (
  user_id         BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  customer_id     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at      BIGINT NOT NULL,
  UNIQUE KEY ux_billing_customers_customer (customer_id),
  CONSTRAINT fk_billing_customers_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every Stripe Price made for a plan (pm-admin stripe sync-prices), found
-- again by its lookup_key; a price replaced after a change of amount stays
-- (its subscribers keep it) with is_current 0.
CREATE TABLE IF NOT EXISTS billing_prices (
  price_id        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                  PRIMARY KEY,
  lookup_key      VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  product_id      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  plan_id         BIGINT UNSIGNED NOT NULL,
  billing_interval ENUM('month','year') NOT NULL,
  byok            BOOLEAN NOT NULL,
  unit_amount     BIGINT NOT NULL,
  currency        CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  is_current      BOOLEAN NOT NULL,
  synced_at       BIGINT NOT NULL,
  KEY ix_billing_prices_lookup (lookup_key, is_current),
  KEY ix_billing_prices_plan (plan_id),
  CONSTRAINT fk_billing_prices_plan FOREIGN KEY (plan_id) REFERENCES plans (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A subscription as last read from Stripe. user_id is NULL when its
-- customer is not one of ours; plan_id when its price is not one of ours.
CREATE TABLE IF NOT EXISTS billing_subscriptions (
  subscription_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                  PRIMARY KEY,
  customer_id     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id         BIGINT UNSIGNED NULL,
  status          VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  item_id         VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  price_id        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  plan_id         BIGINT UNSIGNED NULL,
  billing_interval ENUM('month','year') NULL,
  byok            BOOLEAN NOT NULL DEFAULT 0,
  quantity        BIGINT NOT NULL DEFAULT 1,
  unit_amount     BIGINT NULL,
  currency        CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NULL,
  period_start    BIGINT NULL,
  period_end      BIGINT NULL,
  cancel_at_period_end BOOLEAN NOT NULL DEFAULT 0,
  cancel_at       BIGINT NULL,
  canceled_at     BIGINT NULL,
  ended_at        BIGINT NULL,
  trial_end       BIGINT NULL,
  latest_invoice  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  -- when this installation first saw it past_due (the grace period runs
  -- from here); NULL when it is not past_due
  past_due_since  BIGINT NULL,
  created         BIGINT NOT NULL,
  read_us         BIGINT NOT NULL,
  -- changes asked from the site: part of their idempotency keys
  changes         INT UNSIGNED NOT NULL DEFAULT 0,
  updated_at      BIGINT NOT NULL,
  KEY ix_billing_subscriptions_user (user_id, status),
  KEY ix_billing_subscriptions_customer (customer_id),
  KEY ix_billing_subscriptions_past_due (status, past_due_since)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS billing_invoices (
  invoice_id      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                  PRIMARY KEY,
  customer_id     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id         BIGINT UNSIGNED NULL,
  subscription_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  status          VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  currency        CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount_due      BIGINT NOT NULL,
  amount_paid     BIGINT NOT NULL,
  amount_refunded BIGINT NOT NULL DEFAULT 0,
  created         BIGINT NOT NULL,
  period_start    BIGINT NULL,
  period_end      BIGINT NULL,
  payment_intent  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  charge_id       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  hosted_url      VARCHAR(2000) NULL,
  pdf_url         VARCHAR(2000) NULL,
  read_us         BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  KEY ix_billing_invoices_user (user_id, created),
  KEY ix_billing_invoices_subscription (subscription_id, created),
  KEY ix_billing_invoices_charge (charge_id),
  KEY ix_billing_invoices_intent (payment_intent)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Checkout Sessions made by "Upgrade", so that a second click reuses the
-- open one and the success page can tell what became of it.
CREATE TABLE IF NOT EXISTS billing_checkouts (
  session_id      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                  PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  customer_id     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  plan_id         BIGINT UNSIGNED NOT NULL,
  price_id        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  quantity        BIGINT NOT NULL,
  url             VARCHAR(2000) NOT NULL,
  status          ENUM('open','complete','expired','declined') NOT NULL,
  failure         VARCHAR(500) NULL,
  subscription_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  KEY ix_billing_checkouts_user (user_id, created_at),
  KEY ix_billing_checkouts_customer (customer_id, status),
  CONSTRAINT fk_billing_checkouts_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The refund of "cancel now": the unused share of the last payment, in
-- whole cents rounded down, with what it was computed from. Written
-- before Stripe is asked (pending), so that a refund that failed after the
-- cancellation is retried, never lost nor made twice.
CREATE TABLE IF NOT EXISTS billing_refunds (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id         BIGINT UNSIGNED NOT NULL,
  subscription_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  invoice_id      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  payment_intent  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  charge_id       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  currency        CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount_paid     BIGINT NOT NULL,
  period_start    BIGINT NOT NULL,
  period_end      BIGINT NOT NULL,
  cancelled_at    BIGINT NOT NULL,
  amount          BIGINT NOT NULL,
  status          ENUM('pending','succeeded','failed','none') NOT NULL,
  refund_id       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  error           VARCHAR(1000) NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE KEY ux_billing_refunds_subscription (subscription_id),
  KEY ix_billing_refunds_user (user_id, created_at),
  CONSTRAINT fk_billing_refunds_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every webhook event whose signature was verified, under its own id: a
-- second delivery finds it and does nothing once it was applied.
CREATE TABLE IF NOT EXISTS billing_events (
  event_id        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                  PRIMARY KEY,
  type            VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  object_id       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  livemode        BOOLEAN NOT NULL,
  created         BIGINT NOT NULL,
  received_at     BIGINT NOT NULL,
  -- applied: done; ignored: a type billing has no use for; flagged:
  -- acknowledged but not applied (an unknown customer); failed: to be
  -- applied again (Stripe retries, or "re-apply")
  status          ENUM('received','applying','applied','ignored','flagged',
                  'failed') NOT NULL,
  error           VARCHAR(1000) NULL,
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  claimed_at      BIGINT NULL,
  applied_at      BIGINT NULL,
  payload         MEDIUMTEXT NOT NULL,
  KEY ix_billing_events_received (received_at),
  KEY ix_billing_events_status (status, received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
