-- 005_identities: a user is meetd's own ULID; who a token names is mapped to
-- it by (issuer, subject). Local accounts keep their email and password;
-- users made on first use of an outside token, and guests, have neither.
--   kind          'account' (a person's own account) or 'guest' (made for one
--                 meeting by a guest token; guest_meeting_id says which)
--   disabled_at   set: every request of the user answers 403 ACCOUNT_DISABLED
--   tokens_valid_after  unix seconds: tokens issued before are refused
--                 ("sign out everywhere")
--   time_zone, language: profile values used by mail, pages and reminders
-- An email claim is kept on the identity it came with and never merges two
-- users: users.email stays the local login address alone.

ALTER TABLE users
    MODIFY email VARCHAR(254) NULL,
    MODIFY password_hash VARCHAR(255) CHARACTER SET ascii NULL,
    MODIFY display_name VARCHAR(100) NOT NULL DEFAULT '',
    ADD COLUMN kind ENUM('account', 'guest') NOT NULL DEFAULT 'account' AFTER id,
    ADD COLUMN guest_meeting_id CHAR(26) CHARACTER SET ascii NULL AFTER kind,
    ADD COLUMN time_zone VARCHAR(64) CHARACTER SET ascii NULL AFTER display_name,
    ADD COLUMN language CHAR(2) CHARACTER SET ascii NULL AFTER time_zone,
    ADD COLUMN disabled_at DATETIME(3) NULL,
    ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0,
    ADD KEY users_guest_meeting (guest_meeting_id);

CREATE TABLE user_identities (
    issuer         VARBINARY(255) NOT NULL,
    subject        VARBINARY(255) NOT NULL,
    user_id        CHAR(26)     CHARACTER SET ascii NOT NULL,
    email          VARCHAR(254) NULL,
    email_verified TINYINT(1)   NOT NULL DEFAULT 0,
    created_at     DATETIME(3)  NOT NULL,
    PRIMARY KEY (issuer, subject),
    KEY user_identities_user (user_id),
    CONSTRAINT user_identities_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Local accounts sign in with tokens meetd issues for their own id.
INSERT INTO user_identities (issuer, subject, user_id, email, email_verified, created_at)
    SELECT 'meetd', id, id, NULL, 0, created_at FROM users;
