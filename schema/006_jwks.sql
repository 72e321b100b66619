-- 006_jwks: identity providers' JWK Sets, fetched by the worker from each
-- provider's jwks_url and read by responders (which never fetch). A failed
-- fetch keeps the last good set (stale while error) and is counted here;
-- a good fetch replaces the set. Keyed by the [idp.NAME] section; the URL
-- is kept so a set fetched from an earlier jwks_url is not trusted.

CREATE TABLE jwks_sets (
    idp VARCHAR(31) CHARACTER SET ascii NOT NULL,
    url VARCHAR(1024) NOT NULL,
    jwks MEDIUMTEXT NULL,                   -- last good set; NULL until one was fetched
    fetched_at DATETIME(3) NULL,            -- when it was fetched
    failed_at DATETIME(3) NULL,             -- last failed attempt
    failures INT UNSIGNED NOT NULL DEFAULT 0, -- failed attempts since the last good one
    last_error VARCHAR(255) NULL,
    PRIMARY KEY (idp)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
