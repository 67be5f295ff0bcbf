-- Claims behind IClaimStore (issue 7, part 2): ClaimService reads a subscription's claims, conflicts and proofs
-- whole, decides in memory, and saves the change all or nothing against the version it read.
-- One row per subscription that has anything claimed: every save checks and bumps its version in the save's
-- transaction, so two instances (or two clicks) deciding on the same read cannot both win.
CREATE TABLE claim_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    version         INTEGER NOT NULL
);
INSERT INTO claim_subscriptions (subscription_id, version)
SELECT subscription_id, 1 FROM (SELECT subscription_id FROM claims UNION SELECT subscription_id FROM conflicts);

-- Idempotency keys (the claims API's, scoped by API key, and claim cards'), taken before the claim is recorded:
-- the first request to take a key owns it for good, and a claim card's Cancel takes it as cancelled. Keys are
-- checked here instead of in claims.idempotency_key (still recorded on the claim) and cancelled_claim_cards (no
-- longer written); their keys move here so upgraded databases keep replaying and refusing as before.
CREATE TABLE claim_keys (
    key             TEXT PRIMARY KEY,
    -- The canonical hash of the request that took the key; NULL for a cancelled card.
    request_hash    TEXT,
    -- The claim that request is (or was to be) recorded as; NULL for a cancelled card.
    claim_id        TEXT,
    subscription_id TEXT,
    cancelled       INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    created_at      TEXT NOT NULL
);
INSERT INTO claim_keys (key, request_hash, claim_id, subscription_id, cancelled, created_at)
SELECT idempotency_key, request_hash, claim_id, subscription_id, 0, created_at FROM claims WHERE idempotency_key IS NOT NULL;
-- A card could only be cancelled while nothing was recorded with its key, so these never overlap the claims'.
INSERT OR IGNORE INTO claim_keys (key, request_hash, claim_id, subscription_id, cancelled, created_at)
SELECT idempotency_key, NULL, NULL, NULL, 1, cancelled_at FROM cancelled_claim_cards;
