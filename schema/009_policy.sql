-- 009_policy: participants' controls, the waiting room and the security
-- policy (001's POST /api/v1/meetings/{id}/security/policy).
--
-- The policy lives on the meeting row, beside what earlier schemas already
-- held of it (participant_limit = max_participants, require_password,
-- waiting_room = require_waiting_room, allow_guests = allow_anonymous_join),
-- so the one read a join makes of its meeting carries all of it; a change
-- raises meetings.version, the ETag both hosts' If-Match compare.
ALTER TABLE meetings
    ADD COLUMN locked                   TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN waiting_room_everyone    TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN mute_on_entry            TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN disable_camera           TINYINT(1) NOT NULL DEFAULT 0,
    ADD COLUMN screen_share_permissions ENUM('host', 'all', 'none') NOT NULL DEFAULT 'all',
    ADD COLUMN chat_permissions         ENUM('host', 'all', 'none') NOT NULL DEFAULT 'all',
    ADD COLUMN recording_permissions    ENUM('host', 'all', 'none') NOT NULL DEFAULT 'host',
    ADD COLUMN allowed_domains          VARCHAR(2048) NULL,  -- JSON array, lower case
    -- open sessions, kept by every statement that opens or closes one, so
    -- the cap is one read of the row a join locks anyway, however many are in
    ADD COLUMN open_participants        INT NOT NULL DEFAULT 0;
UPDATE meetings m SET open_participants =
    (SELECT COUNT(*) FROM meeting_participants p WHERE p.meeting_id = m.id AND p.active = 1);

-- Who may not come in: blocked by the policy, or removed by a host (until a
-- host lets them back). Both are checked on every path that admits.
CREATE TABLE meeting_exclusions (
    meeting_id  CHAR(26)    CHARACTER SET ascii NOT NULL,
    user_id     CHAR(26)    CHARACTER SET ascii NOT NULL,
    kind        ENUM('blocked', 'removed') NOT NULL,
    created_by  CHAR(26)    CHARACTER SET ascii NULL,
    created_at  DATETIME(3) NOT NULL,
    PRIMARY KEY (meeting_id, user_id, kind),
    CONSTRAINT meeting_exclusions_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The waiting room: one row per person and meeting, in the order they
-- knocked (knocked_at, then id). A decision is kept: an admitted person is
-- never sent back to wait, a denied one may knock again (a new place at
-- the end). Knocks made before any host arrived are rows like any other.
CREATE TABLE waiting_room (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    meeting_id  CHAR(26)    CHARACTER SET ascii NOT NULL,
    user_id     CHAR(26)    CHARACTER SET ascii NOT NULL,
    status      ENUM('waiting', 'admitted', 'denied') NOT NULL,
    knocked_at  DATETIME(3) NOT NULL,
    decided_at  DATETIME(3) NULL,
    decided_by  CHAR(26)    CHARACTER SET ascii NULL,
    PRIMARY KEY (id),
    UNIQUE KEY waiting_room_person (meeting_id, user_id),
    KEY waiting_room_queue (meeting_id, status, knocked_at, id),
    CONSTRAINT waiting_room_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
