-- Guided-dialog state, one row per tenant × conversation × user: two people in one group chat never
-- share a dialog. version guards against two requests advancing the same dialog at once.
CREATE TABLE dialog_state (
    tenant_id       TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    state_json      TEXT NOT NULL,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, user_id)
);
