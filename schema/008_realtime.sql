-- 008_realtime: what real time over nchan keeps in the database.
--
-- Every lasting event goes to one channel: the meeting's (user_id '') or one
-- participant's own (user_id = theirs). Each channel numbers its events
-- 1, 2, 3... in the transaction that causes them, so clients order by that
-- number and fill gaps from the outbox (GET /api/v1/meetings/{id}/events).
-- The same row counts the channel's live connections, as nchan's subscribe
-- and unsubscribe callbacks report them: a participant whose count falls
-- to 0 is away from `away_since`, and leaves once the grace has passed.
-- The count is signed: a connection that opens and closes at once may have
-- its two callbacks arrive in either order, and the sum is right either way.
CREATE TABLE realtime_channels (
    meeting_id   CHAR(26)    CHARACTER SET ascii NOT NULL,
    user_id      CHAR(26)    CHARACTER SET ascii NOT NULL DEFAULT '',
    last_seq     BIGINT UNSIGNED NOT NULL DEFAULT 0,
    connections  INT          NOT NULL DEFAULT 0,
    away_since   DATETIME(3) NULL,
    PRIMARY KEY (meeting_id, user_id),
    KEY realtime_channels_away (away_since),
    KEY realtime_channels_live (user_id, connections)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An outbox row keeps one delivery state per consumer: `realtime_at` is
-- when nchan took it (NULL: still to publish; rows that are not real-time
-- events are written as taken). Webhooks and mail add their own columns.
-- `rt_message` is the client's message (001's shape) without its sequence
-- number, which is added on the way out.
ALTER TABLE outbox_events
    ADD COLUMN channel_user CHAR(26) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER meeting_id,
    ADD COLUMN channel_seq  BIGINT UNSIGNED NULL AFTER channel_user,
    ADD COLUMN rt_message   TEXT NULL AFTER payload,
    ADD COLUMN realtime_at  DATETIME(3) NULL,
    ADD UNIQUE KEY outbox_events_channel (meeting_id, channel_user, channel_seq),
    ADD KEY outbox_events_realtime (realtime_at, seq),
    ADD KEY outbox_events_created (created_at);
UPDATE outbox_events SET realtime_at = created_at;

-- Which events nchan took, as the responder that published learns it: a
-- MEMORY table, so marking one costs no durable commit (measured: a durable
-- mark per event halved a new guest's join throughput). The worker folds the
-- marks into outbox_events.realtime_at in batches. A restart that loses
-- marks only makes the worker publish those events again, and clients drop
-- what they already have by sequence number.
CREATE TABLE outbox_published (
    seq BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (seq)
) ENGINE=MEMORY MAX_ROWS=1000000;

-- Single-use subscription tickets (POST .../realtime-ticket): found by the
-- SHA-256 of the ticket, never by its text; deleted by the use that spends
-- them.
CREATE TABLE realtime_tickets (
    ticket_hash BINARY(32)  NOT NULL,
    user_id     CHAR(26)    CHARACTER SET ascii NOT NULL,
    meeting_id  CHAR(26)    CHARACTER SET ascii NOT NULL,
    expires_at  DATETIME(3) NOT NULL,
    PRIMARY KEY (ticket_hash),
    KEY realtime_tickets_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
