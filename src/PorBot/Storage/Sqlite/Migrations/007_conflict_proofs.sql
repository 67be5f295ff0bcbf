-- Proof of execution a party adds from the conflict card ("We're doing the work — add proof"). Adding one
-- bumps the conflict's version and queues card updates in the same transaction.
CREATE TABLE conflict_proofs (
    proof_id     TEXT PRIMARY KEY,
    conflict_id  TEXT NOT NULL REFERENCES conflicts (conflict_id),
    partner_id   TEXT NOT NULL,
    -- What work the partner is doing for the customer (at most 1000 characters), shown verbatim.
    description  TEXT NOT NULL,
    link         TEXT,
    -- Entra object id of the user who added it.
    added_by     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX ix_conflict_proofs_conflict ON conflict_proofs (conflict_id, created_at);

-- The customer's answer on a pending claim (no POR listed, so no conflict row to hold it): the partner named,
-- by whom it was recorded, and whether the registry has it yet (a remote registry can fail; repeating the
-- same resolution finishes it, as for conflicts).
ALTER TABLE claims ADD COLUMN decided_por_partner_id TEXT;
ALTER TABLE claims ADD COLUMN decided_by TEXT;
ALTER TABLE claims ADD COLUMN registry_synced INTEGER NOT NULL DEFAULT 1;
