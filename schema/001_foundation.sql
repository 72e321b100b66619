-- 001_foundation: local accounts and API keys.
-- Times are UTC (the connection sets time_zone = '+00:00'); ids are ULIDs.

CREATE TABLE users (
    id            CHAR(26)     CHARACTER SET ascii NOT NULL,
    email         VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) CHARACTER SET ascii NOT NULL,
    display_name  VARCHAR(100) NOT NULL,
    role          ENUM('user', 'admin') NOT NULL DEFAULT 'user',
    created_at    DATETIME(3)  NOT NULL,
    updated_at    DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An API key is shown once at creation: mk_<prefix>_<secret>. We keep the
-- prefix to find the row and SHA-256 of the 256-bit secret to check it.
CREATE TABLE api_keys (
    id            CHAR(26)     CHARACTER SET ascii NOT NULL,
    user_id       CHAR(26)     CHARACTER SET ascii NOT NULL,
    prefix        CHAR(16)     CHARACTER SET ascii NOT NULL,
    secret_hash   BINARY(32)   NOT NULL,
    name          VARCHAR(100) NOT NULL,
    created_at    DATETIME(3)  NOT NULL,
    last_used_at  DATETIME(3)  NULL,
    revoked_at    DATETIME(3)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY api_keys_prefix (prefix),
    KEY api_keys_user (user_id),
    CONSTRAINT api_keys_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
