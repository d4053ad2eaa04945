-- Line budgets (issue 10). A row is in one of two lanes: 'direct' (incident entries, pages, reminders: never
-- held back) or 'budget' (broadcasts: each sent one counts against its target's lines per minute). Past the
-- budget, the waiting budget rows of a target are summed up in ONE digest row (lane 'budget', digest_of = how
-- many it sums up), and each of them is marked DIGESTED with the digest row's id, in one transaction.
ALTER TABLE outbox ADD COLUMN lane VARCHAR(8) DEFAULT 'direct' NOT NULL;
ALTER TABLE outbox ADD COLUMN budget_group VARCHAR(64);
ALTER TABLE outbox ADD COLUMN budget_label VARCHAR(128);
ALTER TABLE outbox ADD COLUMN budget_severity VARCHAR(16);
ALTER TABLE outbox ADD COLUMN per_minute INT;
ALTER TABLE outbox ADD COLUMN digest_of INT;
ALTER TABLE outbox ADD COLUMN digest_id BIGINT;
-- The sender's next row per lane (direct first when the budget holds the rest): one index seek, however many
-- rows wait behind it.
-- It serves every query the older outbox_due did (network, place, state are its first columns), so that one goes:
-- one index less to keep up on every insert.
CREATE INDEX outbox_lane ON outbox(network, place, state, lane, id);
DROP INDEX outbox_due;
-- The budget window: the newest budget lines sent to a target, newest first.
CREATE INDEX outbox_window ON outbox(network, place, lane, state, sent_at);
