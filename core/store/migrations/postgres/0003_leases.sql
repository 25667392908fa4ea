-- leases: which node does what only one node may do at a time (polling a
-- connector account), until when.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
