-- Reconciling sends whose outcome is unknown (issue 5: exactly once as seen by the user).
-- send_started_at / sent_as are written just before the connector call, so after a crash a leased row that
-- never reached the connector goes straight back to Pending, and an interrupted call is known to be a new
-- post (needs evidence before it is sent again) or an update in place (idempotent, simply redone).
ALTER TABLE alert_outbox ADD COLUMN send_started_at TEXT;
ALTER TABLE alert_outbox ADD COLUMN sent_as TEXT CHECK (sent_as IN ('Post', 'Update'));
-- Set on an Unknown row that the probe could not settle: it waits for an operator (`alerts resend`).
ALTER TABLE alert_outbox ADD COLUMN held_reason TEXT;

-- Rows interrupted before this version carry no delivery key in their card, so nothing can prove whether
-- they arrived: hold them for an operator instead of guessing.
UPDATE alert_outbox SET status = 'Unknown', lease_until = NULL,
    held_reason = 'interrupted before delivery keys were recorded; cannot be checked automatically'
WHERE status IN ('Sending', 'Unknown');

-- A channel's messages are read through its team's Entra group id (teamsChannelData.team.aadGroupId).
ALTER TABLE conversation_references ADD COLUMN team_aad_group_id TEXT;
