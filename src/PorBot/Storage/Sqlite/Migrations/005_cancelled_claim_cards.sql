-- A claim card's Cancel: its key is remembered so a later Confirm on the same card records nothing.
CREATE TABLE cancelled_claim_cards (
    idempotency_key TEXT PRIMARY KEY,
    cancelled_at    TEXT NOT NULL
);
