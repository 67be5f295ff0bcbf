-- The POR registry (partners, their Entra tenants, customer subscriptions) and the conversation
-- references proactive alerts are delivered through.
CREATE TABLE partners (
    partner_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    country    TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE partner_tenants (
    tenant_id  TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (partner_id)
);
CREATE INDEX ix_partner_tenants_partner ON partner_tenants (partner_id);

CREATE TABLE subscriptions (
    subscription_id    TEXT PRIMARY KEY,
    customer_name      TEXT NOT NULL,
    customer_tenant_id TEXT NOT NULL,
    customer_domain    TEXT,
    program            TEXT NOT NULL,
    product            TEXT NOT NULL,
    por_partner_id     TEXT REFERENCES partners (partner_id),
    por_since          TEXT,
    updated_at         TEXT NOT NULL
);
CREATE INDEX ix_subscriptions_tenant ON subscriptions (customer_tenant_id);
CREATE INDEX ix_subscriptions_domain ON subscriptions (customer_domain COLLATE NOCASE);
CREATE INDEX ix_subscriptions_por ON subscriptions (por_partner_id);

CREATE TABLE conversation_references (
    tenant_id            TEXT NOT NULL,
    conversation_id      TEXT NOT NULL,
    -- '' for the conversation itself (an install in a team or group chat), else the user's Entra object id.
    user_aad_object_id   TEXT NOT NULL,
    user_id              TEXT,
    user_name            TEXT,
    bot_id               TEXT NOT NULL,
    service_url          TEXT NOT NULL,
    service_url_verified INTEGER NOT NULL,
    channel_id           TEXT NOT NULL,
    conversation_type    TEXT,
    team_id              TEXT,
    is_dead              INTEGER NOT NULL DEFAULT 0,
    dead_reason          TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, user_aad_object_id)
);
CREATE INDEX ix_conversation_references_conversation ON conversation_references (conversation_id);
