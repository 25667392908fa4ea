-- Switchboard store, PostgreSQL. Times are Unix nanoseconds (UTC) in BIGINT
-- columns, NULL when unknown.

-- contacts: the people behind sender identities.
CREATE TABLE contacts (
    id              TEXT    PRIMARY KEY,          -- ULID
    name            TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    handle          TEXT    NOT NULL DEFAULT '',
    messages        BIGINT  NOT NULL DEFAULT 0,   -- inbound messages, automatic ones included
    last_message_at BIGINT,                       -- last message that was not automatic
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

-- contact_identities: connector plus the first non-empty of sender id,
-- e-mail (lower-cased), phone, handle, mapped to a contact.
CREATE TABLE contact_identities (
    connector  TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('id', 'email', 'phone', 'handle')),
    value      TEXT    NOT NULL,
    contact_id TEXT    NOT NULL REFERENCES contacts (id),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (connector, kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

-- threads: one per (connector, account, external thread id).
CREATE TABLE threads (
    id                  TEXT    PRIMARY KEY,      -- ULID
    connector           TEXT    NOT NULL,
    account             TEXT    NOT NULL,
    external_id         TEXT    NOT NULL,
    channel             TEXT    NOT NULL DEFAULT '',
    contact_id          TEXT    REFERENCES contacts (id), -- the first buyer who wrote (not a robot)
    status              TEXT    NOT NULL DEFAULT '',
    assignee            TEXT    NOT NULL DEFAULT '',
    tags                JSONB   NOT NULL DEFAULT '[]', -- JSON array, set semantics
    messages            BIGINT  NOT NULL DEFAULT 0,    -- inbound messages
    first_message_id    TEXT,                          -- first inbound message that was not automatic
    first_inbound_at    BIGINT, 
    last_inbound_at     BIGINT, 
    first_response_at   BIGINT,                        -- first reply by a person
    last_human_reply_at BIGINT, 
    last_auto_reply_at  BIGINT, 
    auto_replies        BIGINT  NOT NULL DEFAULT 0,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (connector, account, external_id)
);
CREATE INDEX threads_status ON threads (status, id);

-- messages: inbound and outbound; (connector, account, external_id) is the
-- lasting de-duplication key. external_id is NULL only for a reply whose
-- vendor returned no id; step_key makes a workflow's reply unique.
CREATE TABLE messages (
    id                  TEXT    PRIMARY KEY,      -- ULID
    connector           TEXT    NOT NULL,
    account             TEXT    NOT NULL,
    external_id         TEXT,
    channel             TEXT    NOT NULL DEFAULT '',
    thread_id           TEXT    NOT NULL REFERENCES threads (id),
    contact_id          TEXT    REFERENCES contacts (id),
    direction           TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    origin              TEXT    NOT NULL CHECK (origin IN ('channel', 'agent', 'workflow')),
    automatic           BOOLEAN NOT NULL,          -- loop guard verdict (true for workflow replies)
    step_key            TEXT    UNIQUE,            -- the step that sent it (origin workflow)
    sent_at             BIGINT, 
    received_at         BIGINT  NOT NULL,
    contact_previous_at BIGINT,                    -- the contact's previous message, at ingest
    body                TEXT    NOT NULL,          -- the full sdk.Message as JSON
    UNIQUE (connector, account, external_id)
);
CREATE INDEX messages_thread ON messages (thread_id, received_at);

-- cursors: where each connector account's polling stands.
CREATE TABLE cursors (
    connector  TEXT    NOT NULL,
    account    TEXT    NOT NULL,
    cursor     BYTEA   NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (connector, account)
);

-- outbox: what is to be published, written with the fact that caused it.
CREATE TABLE outbox (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject    TEXT    NOT NULL,
    dedup_id   TEXT    NOT NULL,
    payload    BYTEA   NOT NULL,
    created_at BIGINT  NOT NULL
);

-- steps: planned workflow steps; the key is the step's idempotency key.
CREATE TABLE steps (
    key          TEXT    PRIMARY KEY,
    message_id   TEXT    NOT NULL REFERENCES messages (id),
    thread_id    TEXT    NOT NULL REFERENCES threads (id),
    workflow     TEXT    NOT NULL,
    step         TEXT    NOT NULL,
    due_at       BIGINT  NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'queued', 'attempted', 'retrying', 'done', 'skipped', 'dead')),
    attempts     BIGINT  NOT NULL DEFAULT 0,
    queued_count BIGINT  NOT NULL DEFAULT 0,
    attempted_at BIGINT, 
    retry_at     BIGINT, 
    last_error   TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',   -- why it was skipped or waits
    external_id  TEXT    NOT NULL DEFAULT '',   -- the vendor's id of a sent reply
    outputs      BYTEA,                         -- an action's outputs
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX steps_due ON steps (state, due_at);
CREATE INDEX steps_retry ON steps (state, retry_at);
CREATE INDEX steps_updated ON steps (state, updated_at);
CREATE INDEX steps_message ON steps (message_id, workflow);

-- explanations: why each workflow did or did not fire for a message (JSON).
CREATE TABLE explanations (
    message_id TEXT    PRIMARY KEY REFERENCES messages (id),
    body       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

-- reply_claims: the last automatic reply granted per thread (the window).
CREATE TABLE reply_claims (
    thread_id  TEXT    PRIMARY KEY,
    claimed_at BIGINT, 
    step_key   TEXT
);

-- reply_verdicts: every claim's answer by step key, so that a redelivered
-- step gets the same answer.
CREATE TABLE reply_verdicts (
    step_key  TEXT    PRIMARY KEY,
    thread_id TEXT    NOT NULL,
    workflow  TEXT    NOT NULL,
    at        BIGINT  NOT NULL,
    ok        BOOLEAN NOT NULL,
    reason    TEXT    NOT NULL DEFAULT ''
);

-- reply_breakers: one row per workflow, locked while a claim counts its
-- replies; reply_breaker_events: the replies it counts.
CREATE TABLE reply_breakers (
    workflow TEXT PRIMARY KEY
);
CREATE TABLE reply_breaker_events (
    step_key TEXT    PRIMARY KEY,
    workflow TEXT    NOT NULL,
    at       BIGINT  NOT NULL
);
CREATE INDEX reply_breaker_events_workflow ON reply_breaker_events (workflow, at);

-- plugin_state: durable key-value state of each plugin instance.
CREATE TABLE plugin_state (
    kind     TEXT NOT NULL,
    name     TEXT NOT NULL,
    instance TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    BYTEA NOT NULL,
    PRIMARY KEY (kind, name, instance, key)
);

-- workflow_overrides: workflows enabled or disabled at run time.
CREATE TABLE workflow_overrides (
    workflow TEXT    PRIMARY KEY,
    enabled  BOOLEAN NOT NULL
);
