-- 002_meetings: meetings on every platform (000 VirtualMeeting + 004 native
-- rooms), members and their roles, participant sessions, the audit log, the
-- outbox of events, idempotency keys and the SQL rate limiter.
-- Secrets (passcodes, invitation tokens, host keys) are stored only as
-- AES-256-GCM boxes (src/auth/secretbox.c); an invitation token is found by
-- its SHA-256, never by its text.

CREATE TABLE meetings (
    id                   CHAR(26)     CHARACTER SET ascii NOT NULL,
    event_id             VARCHAR(64)  NULL,
    organizer_id         CHAR(26)     CHARACTER SET ascii NOT NULL,
    platform             ENUM('native', 'jitsi', 'zoom', 'google_meet', 'teams', 'webex',
                              'facetime', 'livekit') NOT NULL,
    platform_meeting_id  VARCHAR(128) NULL,
    meeting_url          VARCHAR(2048) NULL,
    code                 CHAR(11)     CHARACTER SET ascii NULL,   -- native: xxx-xxx-xxx
    passcode_box         VARBINARY(128) NULL,
    invite_hash          BINARY(32)   NULL,
    invite_box           VARBINARY(128) NULL,
    dial_in_number       VARCHAR(64)  NULL,
    dial_in_password_box VARBINARY(128) NULL,
    host_key_box         VARBINARY(128) NULL,
    title                VARCHAR(200) NOT NULL,
    description          TEXT         NULL,
    scheduled_for        DATETIME(3)  NOT NULL,
    duration_minutes     SMALLINT UNSIGNED NOT NULL,
    timezone             VARCHAR(64)  CHARACTER SET ascii NOT NULL,
    participant_limit    INT UNSIGNED NULL,
    require_password     TINYINT(1)   NOT NULL DEFAULT 1,
    waiting_room         TINYINT(1)   NOT NULL DEFAULT 1,
    status               ENUM('scheduled', 'started', 'ended', 'cancelled') NOT NULL DEFAULT 'scheduled',
    started_at           DATETIME(3)  NULL,
    started_by           CHAR(26)     CHARACTER SET ascii NULL,
    ended_at             DATETIME(3)  NULL,
    ended_by             CHAR(26)     CHARACTER SET ascii NULL,
    cancelled_at         DATETIME(3)  NULL,
    version              INT UNSIGNED NOT NULL DEFAULT 1,
    created_at           DATETIME(3)  NOT NULL,
    updated_at           DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY meetings_code (code),
    UNIQUE KEY meetings_invite (invite_hash),
    KEY meetings_organizer (organizer_id, scheduled_for, id),
    KEY meetings_event (event_id),
    CONSTRAINT meetings_organizer_fk FOREIGN KEY (organizer_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who may see a meeting, and as what. scheduled_for is a copy of the
-- meeting's (kept in the same transaction) so a user's list is one range
-- scan of (user_id, scheduled_for, meeting_id) whatever the table's size.
CREATE TABLE meeting_members (
    meeting_id    CHAR(26)    CHARACTER SET ascii NOT NULL,
    user_id       CHAR(26)    CHARACTER SET ascii NOT NULL,
    role          ENUM('organizer', 'co_host', 'participant', 'guest') NOT NULL,
    scheduled_for DATETIME(3) NOT NULL,
    created_at    DATETIME(3) NOT NULL,
    PRIMARY KEY (meeting_id, user_id),
    KEY meeting_members_user (user_id, scheduled_for, meeting_id),
    CONSTRAINT meeting_members_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE,
    CONSTRAINT meeting_members_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per time a user is in a meeting. `active` is 1 while joined and
-- NULL after leaving, so the unique key allows one open session per user
-- and any number of closed ones.
CREATE TABLE meeting_participants (
    id               CHAR(26)    CHARACTER SET ascii NOT NULL,
    meeting_id       CHAR(26)    CHARACTER SET ascii NOT NULL,
    user_id          CHAR(26)    CHARACTER SET ascii NOT NULL,
    role             ENUM('host', 'co_host', 'attendee', 'guest') NOT NULL,
    active           TINYINT(1)  NULL DEFAULT 1,
    connection_id    VARCHAR(128) NULL,
    device_type      VARCHAR(32) NULL,
    is_muted         TINYINT(1)  NOT NULL DEFAULT 0,
    is_video_enabled TINYINT(1)  NOT NULL DEFAULT 1,
    is_screen_sharing TINYINT(1) NOT NULL DEFAULT 0,
    is_hand_raised   TINYINT(1)  NOT NULL DEFAULT 0,
    joined_at        DATETIME(3) NOT NULL,
    left_at          DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY meeting_participants_open (meeting_id, user_id, active),
    KEY meeting_participants_user (user_id),
    CONSTRAINT meeting_participants_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every meeting write: who, what, when, from where, under which request.
CREATE TABLE audit_log (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    meeting_id  CHAR(26)     CHARACTER SET ascii NOT NULL,
    actor_id    CHAR(26)     CHARACTER SET ascii NOT NULL,
    action      VARCHAR(48)  CHARACTER SET ascii NOT NULL,
    client_addr VARCHAR(64)  CHARACTER SET ascii NULL,
    request_id  VARCHAR(64)  CHARACTER SET ascii NULL,
    details     TEXT         NULL,       -- JSON: which fields changed (never a secret)
    created_at  DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    KEY audit_log_meeting (meeting_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events written in the same transaction as the change they describe, for
-- the worker (webhooks out, email) and the real-time layer to deliver.
CREATE TABLE outbox_events (
    seq          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    id           CHAR(26)     CHARACTER SET ascii NOT NULL,
    type         VARCHAR(48)  CHARACTER SET ascii NOT NULL,
    meeting_id   CHAR(26)     CHARACTER SET ascii NOT NULL,
    payload      TEXT         NOT NULL,  -- JSON
    created_at   DATETIME(3)  NOT NULL,
    delivered_at DATETIME(3)  NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY outbox_events_id (id),
    KEY outbox_events_pending (delivered_at, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency-Key: the first request claims (user, key) as 'running'; its
-- response is stored in the same transaction as its effect and replayed.
CREATE TABLE idempotency_keys (
    user_id      CHAR(26)     CHARACTER SET ascii NOT NULL,
    idem_key     VARCHAR(255) CHARACTER SET ascii NOT NULL,
    request_hash BINARY(32)   NOT NULL,
    state        ENUM('running', 'done') NOT NULL,
    http_status  SMALLINT UNSIGNED NULL,
    response     MEDIUMBLOB   NULL,
    created_at   DATETIME(3)  NOT NULL,
    expires_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (user_id, idem_key),
    KEY idempotency_keys_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- GCRA: one theoretical arrival time (ms since the epoch) per key. `allowed`
-- holds the last decision so one statement can both decide and report it.
CREATE TABLE rate_limits (
    k         VARCHAR(160) CHARACTER SET ascii NOT NULL,
    tat       BIGINT       NOT NULL,
    step_ms   BIGINT       NOT NULL,
    window_ms BIGINT       NOT NULL,
    allowed   TINYINT(1)   NOT NULL,
    PRIMARY KEY (k),
    KEY rate_limits_tat (tat)
) ENGINE=InnoDB;

-- Passcode attempts in a fixed window per key. Each attempt reserves a
-- failure before the passcode is compared (so concurrent guesses cannot
-- overshoot) and a right passcode gives it back. After `max` failures the key
-- is locked until the window that began with the first failure has passed,
-- even for a right answer.
CREATE TABLE attempt_counters (
    k            VARCHAR(160) CHARACTER SET ascii NOT NULL,
    window_start BIGINT       NOT NULL,
    window_ms    BIGINT       NOT NULL,
    failures     INT UNSIGNED NOT NULL,
    admitted     TINYINT(1)   NOT NULL,
    PRIMARY KEY (k),
    KEY attempt_counters_start (window_start)
) ENGINE=InnoDB;
