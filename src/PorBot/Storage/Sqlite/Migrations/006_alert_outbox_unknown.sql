-- Adds 'Unknown' to the alert outbox statuses: a row still 'Sending' when its lease expired was being sent
-- when the process died, so whether the user saw it is unknown. It is parked for reconciliation instead of
-- being sent again (a blind resend could show the same alert twice). SQLite cannot alter a CHECK, so the
-- table is rebuilt with the same columns and indexes.
CREATE TABLE alert_outbox_new (
    alert_id                   TEXT PRIMARY KEY,
    conflict_id                TEXT NOT NULL REFERENCES conflicts (conflict_id),
    kind                       TEXT NOT NULL CHECK (kind IN ('Alert', 'Update')),
    revision                   INTEGER NOT NULL,
    party_partner_id           TEXT NOT NULL,
    target_tenant_id           TEXT,
    target_conversation_id     TEXT,
    target_user_aad_object_id  TEXT,
    status                     TEXT NOT NULL CHECK (status IN ('Pending', 'Waiting', 'Sending', 'Delivered', 'Failed', 'Undeliverable', 'Unknown')),
    attempts                   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at            TEXT NOT NULL,
    lease_until                TEXT,
    connector_activity_id      TEXT,
    last_error                 TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);
INSERT INTO alert_outbox_new SELECT alert_id, conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id,
    target_user_aad_object_id, status, attempts, next_attempt_at, lease_until, connector_activity_id, last_error, created_at, updated_at
FROM alert_outbox;
DROP TABLE alert_outbox;
ALTER TABLE alert_outbox_new RENAME TO alert_outbox;
CREATE UNIQUE INDEX ux_alert_outbox_target ON alert_outbox (conflict_id, kind, revision, party_partner_id,
    coalesce(target_tenant_id, ''), coalesce(target_conversation_id, ''), coalesce(target_user_aad_object_id, ''));
CREATE INDEX ix_alert_outbox_due ON alert_outbox (status, next_attempt_at);
