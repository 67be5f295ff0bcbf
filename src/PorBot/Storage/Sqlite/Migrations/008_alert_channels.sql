-- Team channels and group chats a partner chose for conflict alerts with `alerts here` (issues 5 and 6).
-- Alerts go to the personal chats of a partner's users and to these only, not to every chat or team the
-- bot happens to be in. The conversation's own reference (user '') says how to reach it and whether the
-- bot is still there.
CREATE TABLE alert_channels (
    tenant_id         TEXT NOT NULL,
    conversation_id   TEXT NOT NULL,
    -- The partner the conversation's tenant mapped to when it was designated, for `alerts status`.
    partner_id        TEXT NOT NULL,
    conversation_type TEXT,
    -- "Team / channel" when Teams sent the names, for `alerts status`.
    display_name      TEXT,
    designated_by     TEXT NOT NULL,
    designated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX ix_alert_channels_partner ON alert_channels (partner_id);
