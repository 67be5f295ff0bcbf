-- POR claims, the conflicts they open, and the durable outbox of alerts about them (issue 5).
-- A claim, its conflict and its outbox rows are written in one transaction: an alert can never be
-- lost between "conflict recorded" and "alert queued".
CREATE TABLE conflicts (
    conflict_id           TEXT PRIMARY KEY,
    subscription_id       TEXT NOT NULL,
    -- The POR when the conflict opened: the party whose listing is being contested.
    current_por_partner_id TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('Open', 'Resolved')),
    winner_partner_id     TEXT,
    resolved_by           TEXT,
    -- 0 while a resolution is recorded here but not yet in the registry (a remote registry can fail);
    -- repeating the same resolution finishes it.
    registry_synced       INTEGER NOT NULL DEFAULT 1,
    -- Optimistic concurrency: every change is UPDATE … WHERE version = <read version>.
    version               INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_conflicts_one_open_per_subscription ON conflicts (subscription_id) WHERE status = 'Open';

CREATE TABLE claims (
    claim_id             TEXT PRIMARY KEY,
    subscription_id      TEXT NOT NULL,
    claimant_partner_id  TEXT NOT NULL,
    -- 'chat' or 'api:<key name>'; source_system is what the calling backend said it is.
    source               TEXT NOT NULL,
    source_system        TEXT,
    note                 TEXT,
    outcome              TEXT NOT NULL CHECK (outcome IN ('NoOp', 'Pending', 'Conflict')),
    conflict_id          TEXT REFERENCES conflicts (conflict_id),
    status               TEXT NOT NULL CHECK (status IN ('Active', 'Withdrawn', 'Won', 'Lost')),
    idempotency_key      TEXT,
    request_hash         TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_claims_idempotency_key ON claims (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ix_claims_subscription ON claims (subscription_id, status);
CREATE INDEX ix_claims_claimant ON claims (claimant_partner_id, status);
CREATE INDEX ix_claims_conflict ON claims (conflict_id);

-- One row per alert (or card update) × party × conversation. A party without any live conversation
-- reference gets one 'Waiting' row with no target, retargeted when a reference appears.
CREATE TABLE alert_outbox (
    alert_id                   TEXT PRIMARY KEY,
    conflict_id                TEXT NOT NULL REFERENCES conflicts (conflict_id),
    -- 'Alert' (the first card a party gets) or 'Update' (the conflict changed: update delivered cards).
    kind                       TEXT NOT NULL CHECK (kind IN ('Alert', 'Update')),
    -- The conflict version an Update describes; 0 for Alerts (one alert per party and conversation, ever).
    revision                   INTEGER NOT NULL,
    party_partner_id           TEXT NOT NULL,
    target_tenant_id           TEXT,
    target_conversation_id     TEXT,
    target_user_aad_object_id  TEXT,
    status                     TEXT NOT NULL CHECK (status IN ('Pending', 'Waiting', 'Sending', 'Delivered', 'Failed', 'Undeliverable')),
    attempts                   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at            TEXT NOT NULL,
    lease_until                TEXT,
    connector_activity_id      TEXT,
    last_error                 TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);
-- NULL targets compare equal here, so fanning out again never adds a second row for the same place.
CREATE UNIQUE INDEX ux_alert_outbox_target ON alert_outbox (conflict_id, kind, revision, party_partner_id,
    coalesce(target_tenant_id, ''), coalesce(target_conversation_id, ''), coalesce(target_user_aad_object_id, ''));
CREATE INDEX ix_alert_outbox_due ON alert_outbox (status, next_attempt_at);
