-- Name search for the POR registry. Customers are derived from subscriptions (one row per customer tenant)
-- and partner names from partners, each with an INTEGER PRIMARY KEY so the external-content FTS5 tables
-- keep pointing at the right rows even if VACUUM renumbers the implicit rowids of the base tables.
--   *_fts  unicode61 (case and diacritics folded) with 2- and 3-character prefix indexes: word and prefix match
--          (detail=column: searches never use phrases or NEAR, and the index is smaller and faster to build)
--   *_tri  trigram: substring match
--   *_vocab the *_fts term list, for typo correction (read into memory; registry_meta.names_version
--          tells readers when a name was added, changed or removed)
-- Triggers named trg_registry_* keep everything in sync for row-by-row writers; the bulk importer drops
-- them inside its transaction, rebuilds the derived tables and FTS indexes, and recreates them from
-- sqlite_master, so their definitions live only here.
CREATE TABLE customers (
    rid                INTEGER PRIMARY KEY,
    tenant_id          TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    domain             TEXT,
    subscription_count INTEGER NOT NULL
);
CREATE INDEX ix_customers_name ON customers (name COLLATE NOCASE);

CREATE TABLE partner_names (
    rid        INTEGER PRIMARY KEY,
    partner_id TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL
);
CREATE INDEX ix_partner_names_name ON partner_names (name COLLATE NOCASE);

CREATE VIRTUAL TABLE customers_fts USING fts5 (name, content = 'customers', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', detail = 'column');
CREATE VIRTUAL TABLE customers_tri USING fts5 (name, content = 'customers', content_rowid = 'rid',
    tokenize = 'trigram remove_diacritics 1');
CREATE VIRTUAL TABLE customers_vocab USING fts5vocab (customers_fts, 'row');

CREATE VIRTUAL TABLE partner_names_fts USING fts5 (name, content = 'partner_names', content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', detail = 'column');
CREATE VIRTUAL TABLE partner_names_tri USING fts5 (name, content = 'partner_names', content_rowid = 'rid',
    tokenize = 'trigram remove_diacritics 1');
CREATE VIRTUAL TABLE partner_names_vocab USING fts5vocab (partner_names_fts, 'row');

CREATE TABLE registry_meta (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    names_version INTEGER NOT NULL
);
INSERT INTO registry_meta (id, names_version) VALUES (1, 0);

-- Every POR change PorBot itself records, with the reason given.
CREATE TABLE por_changes (
    id              INTEGER PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    old_partner_id  TEXT,
    new_partner_id  TEXT,
    effective_from  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE INDEX ix_por_changes_subscription ON por_changes (subscription_id);

-- Backfill from what is already there (the bare columns come from the latest row of each tenant).
INSERT INTO customers (tenant_id, name, domain, subscription_count)
SELECT customer_tenant_id, customer_name, customer_domain, n
FROM (SELECT customer_tenant_id, customer_name, customer_domain, count(*) AS n, max(rowid)
      FROM subscriptions GROUP BY customer_tenant_id);
INSERT INTO partner_names (partner_id, name) SELECT partner_id, name FROM partners;
INSERT INTO customers_fts (customers_fts) VALUES ('rebuild');
INSERT INTO customers_tri (customers_tri) VALUES ('rebuild');
INSERT INTO partner_names_fts (partner_names_fts) VALUES ('rebuild');
INSERT INTO partner_names_tri (partner_names_tri) VALUES ('rebuild');

CREATE TRIGGER trg_registry_customers_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, name) VALUES (new.rid, new.name);
    INSERT INTO customers_tri (rowid, name) VALUES (new.rid, new.name);
    UPDATE registry_meta SET names_version = names_version + 1;
END;
CREATE TRIGGER trg_registry_customers_ad AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name) VALUES ('delete', old.rid, old.name);
    INSERT INTO customers_tri (customers_tri, rowid, name) VALUES ('delete', old.rid, old.name);
    UPDATE registry_meta SET names_version = names_version + 1;
END;
CREATE TRIGGER trg_registry_customers_au AFTER UPDATE OF name ON customers WHEN old.name IS NOT new.name BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name) VALUES ('delete', old.rid, old.name);
    INSERT INTO customers_tri (customers_tri, rowid, name) VALUES ('delete', old.rid, old.name);
    INSERT INTO customers_fts (rowid, name) VALUES (new.rid, new.name);
    INSERT INTO customers_tri (rowid, name) VALUES (new.rid, new.name);
    UPDATE registry_meta SET names_version = names_version + 1;
END;

CREATE TRIGGER trg_registry_partner_names_ai AFTER INSERT ON partner_names BEGIN
    INSERT INTO partner_names_fts (rowid, name) VALUES (new.rid, new.name);
    INSERT INTO partner_names_tri (rowid, name) VALUES (new.rid, new.name);
    UPDATE registry_meta SET names_version = names_version + 1;
END;
CREATE TRIGGER trg_registry_partner_names_ad AFTER DELETE ON partner_names BEGIN
    INSERT INTO partner_names_fts (partner_names_fts, rowid, name) VALUES ('delete', old.rid, old.name);
    INSERT INTO partner_names_tri (partner_names_tri, rowid, name) VALUES ('delete', old.rid, old.name);
    UPDATE registry_meta SET names_version = names_version + 1;
END;
CREATE TRIGGER trg_registry_partner_names_au AFTER UPDATE OF name ON partner_names WHEN old.name IS NOT new.name BEGIN
    INSERT INTO partner_names_fts (partner_names_fts, rowid, name) VALUES ('delete', old.rid, old.name);
    INSERT INTO partner_names_tri (partner_names_tri, rowid, name) VALUES ('delete', old.rid, old.name);
    INSERT INTO partner_names_fts (rowid, name) VALUES (new.rid, new.name);
    INSERT INTO partner_names_tri (rowid, name) VALUES (new.rid, new.name);
    UPDATE registry_meta SET names_version = names_version + 1;
END;

CREATE TRIGGER trg_registry_subscriptions_ai AFTER INSERT ON subscriptions BEGIN
    INSERT INTO customers (tenant_id, name, domain, subscription_count)
    VALUES (new.customer_tenant_id, new.customer_name, new.customer_domain, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET subscription_count = subscription_count + 1,
        name = excluded.name, domain = coalesce(excluded.domain, domain);
END;
CREATE TRIGGER trg_registry_subscriptions_ad AFTER DELETE ON subscriptions BEGIN
    UPDATE customers SET subscription_count = subscription_count - 1 WHERE tenant_id = old.customer_tenant_id;
    DELETE FROM customers WHERE tenant_id = old.customer_tenant_id AND subscription_count <= 0;
END;
CREATE TRIGGER trg_registry_subscriptions_au_tenant AFTER UPDATE OF customer_tenant_id ON subscriptions
WHEN old.customer_tenant_id IS NOT new.customer_tenant_id BEGIN
    UPDATE customers SET subscription_count = subscription_count - 1 WHERE tenant_id = old.customer_tenant_id;
    DELETE FROM customers WHERE tenant_id = old.customer_tenant_id AND subscription_count <= 0;
    INSERT INTO customers (tenant_id, name, domain, subscription_count)
    VALUES (new.customer_tenant_id, new.customer_name, new.customer_domain, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET subscription_count = subscription_count + 1,
        name = excluded.name, domain = coalesce(excluded.domain, domain);
END;
CREATE TRIGGER trg_registry_subscriptions_au_customer AFTER UPDATE OF customer_name, customer_domain ON subscriptions
WHEN old.customer_tenant_id IS new.customer_tenant_id
     AND (old.customer_name IS NOT new.customer_name OR old.customer_domain IS NOT new.customer_domain) BEGIN
    UPDATE customers SET name = new.customer_name, domain = coalesce(new.customer_domain, domain)
    WHERE tenant_id = new.customer_tenant_id;
END;

CREATE TRIGGER trg_registry_partners_ai AFTER INSERT ON partners BEGIN
    INSERT INTO partner_names (partner_id, name) VALUES (new.partner_id, new.name);
END;
CREATE TRIGGER trg_registry_partners_au AFTER UPDATE OF name ON partners WHEN old.name IS NOT new.name BEGIN
    UPDATE partner_names SET name = new.name WHERE partner_id = new.partner_id;
END;
CREATE TRIGGER trg_registry_partners_ad AFTER DELETE ON partners BEGIN
    DELETE FROM partner_names WHERE partner_id = old.partner_id;
END;
