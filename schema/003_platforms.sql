-- 003_platforms: the platform proxy (design §7). Remote meetings keep their
-- platform's ids and links in `meetings`; every remote create is preceded
-- by a provisioning row so no call leaves a half-created or duplicate
-- meeting; platform tokens are cached sealed; provider webhooks are
-- deduplicated by a digest of the delivery; a job table carries work that
-- must outlive the request (compensating deletes now, the worker later).

ALTER TABLE meetings
    ADD COLUMN host_url_box       VARBINARY(4096) NULL AFTER host_key_box,
    ADD COLUMN remote_uuid        VARCHAR(128)  NULL AFTER platform_meeting_id,
    ADD COLUMN remote_status      VARCHAR(32)   NULL,
    ADD COLUMN remote_checked_at  DATETIME(3)   NULL,
    ADD COLUMN recording_url      VARCHAR(2048) NULL,
    ADD KEY meetings_remote (platform, platform_meeting_id);

-- Written (and committed) before the remote call; its key — the meeting id
-- to be — is what the platform's own de-duplication or meetd's reconcile
-- step recognises. States: pending (call made or about to be), created
-- (meeting row written), orphaned (remote exists, our write failed: the
-- remote meeting must be deleted), deleted, failed (the platform refused).
CREATE TABLE provisions (
    meeting_id   CHAR(26)     CHARACTER SET ascii NOT NULL,
    platform     VARCHAR(32)  CHARACTER SET ascii NOT NULL,
    organizer_id CHAR(26)     CHARACTER SET ascii NOT NULL,
    state        ENUM('pending', 'created', 'orphaned', 'deleted', 'failed') NOT NULL,
    remote_id    VARCHAR(128) NULL,
    attempts     INT UNSIGNED NOT NULL DEFAULT 0,
    last_error   VARCHAR(255) NULL,
    created_at   DATETIME(3)  NOT NULL,
    updated_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (meeting_id),
    KEY provisions_state (state, updated_at)
) ENGINE=InnoDB;

-- Cached platform access tokens (and rotating refresh tokens), sealed.
-- One row per (provider, account); refreshed under a named lock so one
-- process at a time spends a refresh token.
CREATE TABLE provider_tokens (
    provider     VARCHAR(32)  CHARACTER SET ascii NOT NULL,
    account      VARCHAR(190) CHARACTER SET ascii NOT NULL,
    access_box   VARBINARY(8192) NOT NULL,
    refresh_box  VARBINARY(8192) NULL,
    expires_at   DATETIME(3)  NOT NULL,
    updated_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (provider, account)
) ENGINE=InnoDB;

-- 002: a user's own Zoom account, connected by OAuth.
CREATE TABLE zoom_connections (
    user_id      CHAR(26)     CHARACTER SET ascii NOT NULL,
    status       ENUM('active', 'needs_reauth') NOT NULL,
    scope        VARCHAR(1024) NULL,
    created_at   DATETIME(3)  NOT NULL,
    updated_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (user_id),
    CONSTRAINT zoom_connections_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Provider webhook deliveries already applied: a duplicate changes nothing.
CREATE TABLE webhook_deliveries (
    provider     VARCHAR(32)  CHARACTER SET ascii NOT NULL,
    digest       BINARY(32)   NOT NULL,
    event        VARCHAR(64)  NOT NULL,
    received_at  DATETIME(3)  NOT NULL,
    PRIMARY KEY (provider, digest),
    KEY webhook_deliveries_age (received_at)
) ENGINE=InnoDB;

-- People in a remote meeting as its platform reports them. Either time may
-- arrive first (deliveries are not ordered): a session is open while
-- joined_at is set and left_at is NULL or earlier than joined_at.
CREATE TABLE remote_participants (
    meeting_id      CHAR(26)     CHARACTER SET ascii NOT NULL,
    participant_key VARCHAR(190) NOT NULL,
    display_name    VARCHAR(200) NULL,
    joined_at       DATETIME(3)  NULL,
    left_at         DATETIME(3)  NULL,
    PRIMARY KEY (meeting_id, participant_key),
    CONSTRAINT remote_participants_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE recordings (
    meeting_id   CHAR(26)     CHARACTER SET ascii NOT NULL,
    remote_id    VARCHAR(128) NOT NULL,
    file_type    VARCHAR(32)  NULL,
    file_size    BIGINT UNSIGNED NULL,
    play_url     VARCHAR(2048) NULL,
    download_url VARCHAR(2048) NULL,
    recording_start DATETIME(3) NULL,
    recording_end   DATETIME(3) NULL,
    created_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (meeting_id, remote_id),
    CONSTRAINT recordings_meeting_fk FOREIGN KEY (meeting_id) REFERENCES meetings (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Work that must outlive a request. kind names the handler
-- ("provider.delete", ...); payload is JSON; run by the responder's
-- housekeeping today and by the background worker later.
CREATE TABLE jobs (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    kind         VARCHAR(64)  CHARACTER SET ascii NOT NULL,
    payload      JSON         NOT NULL,
    state        ENUM('queued', 'running', 'done', 'dead') NOT NULL DEFAULT 'queued',
    attempts     INT UNSIGNED NOT NULL DEFAULT 0,
    run_at       DATETIME(3)  NOT NULL,
    locked_until DATETIME(3)  NULL,
    last_error   VARCHAR(255) NULL,
    created_at   DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    KEY jobs_due (state, run_at)
) ENGINE=InnoDB;
