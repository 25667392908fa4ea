package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hub/switchboard/core/loopguard"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Ingest works on the whole batch at once: one query finds the messages
// already stored, one locks the threads and one the contacts they touch,
// the new state of each thread and contact is computed in message order,
// and multi-row statements write it. A batch of a hundred messages costs a
// handful of round trips, not a hundred times as many.
//
// Rules, shared with the test runner (core/workflowtest):
//   - an inbound message counts in its thread (Messages, LastInboundAt) and
//     its contact (Messages) whether or not it is automatic;
//   - only a message that is not automatic becomes its thread's first
//     (FirstMessageID, FirstInboundAt) and its contact's last
//     (last_message_at, read as the next message's ContactPreviousAt);
//   - a message without a thread id starts a thread of its own, keyed by
//     the message's external id (lumping them together would let the
//     per-thread reply window silence everyone but the first);
//   - an outbound message in a batch (the seller answered in the vendor's
//     own panel) is a person's reply: it is stored in its thread, sets the
//     thread's reply times, and is not evaluated (no outbox row), so that
//     no workflow ever answers the seller.

// incoming is a message of a batch, checked and encoded before the
// transaction (which may run more than once).
type incoming struct {
	id        string
	msg       sdk.Message
	body      string
	external  string // its key among the account's messages (messageKey)
	thread    string // cleaned external thread id
	channel   string
	inbound   bool
	automatic bool
	identity  identity // zero when the sender is unknown
}

// MaxIDBytes bounds the ids a message carries (its own, its thread's, its
// sender's), which the store keys and indexes: PostgreSQL refuses index
// entries of more than about 2.7 kB.
const MaxIDBytes = 1024

// ErrInvalidMessage marks a message the store cannot take, whatever it is
// asked again: a connector's mistake, or a vendor's data out of bounds.
var ErrInvalidMessage = errors.New("invalid message")

// CheckMessage reports why the store cannot take m, wrapping
// ErrInvalidMessage, or nil.
func CheckMessage(m *sdk.Message) error {
	if m.ExternalID == "" {
		return fmt.Errorf("%w: it has no external id; the connector must give every message the channel's own stable id", ErrInvalidMessage)
	}
	for _, f := range []struct{ name, value string }{
		{"external id", m.ExternalID}, {"thread", m.Thread}, {"channel", m.Channel},
		{"sender id", m.Sender.ID}, {"sender e-mail", m.Sender.Email}, {"sender phone", m.Sender.Phone}, {"sender handle", m.Sender.Handle},
	} {
		if len(f.value) > MaxIDBytes {
			return fmt.Errorf("%w: external id %.40q…: its %s is %d bytes long, over the %d the store keys", ErrInvalidMessage, m.ExternalID, f.name, len(f.value), MaxIDBytes)
		}
	}
	return nil
}

// messageDedupID is the queue's de-duplication id of a message: its
// connector, account and key, each escaped. NATS trims a header's value and
// turns its line breaks into spaces, so "4711" and "4711 " would share one
// id unescaped, and so would accounts holding "/".
func messageDedupID(connector, account, key string) string {
	return url.PathEscape(connector) + "/" + url.PathEscape(account) + "/" + url.PathEscape(key)
}

// messageKey is what de-duplicates a message among those of its connector
// account: the channel's id, cleaned, and for an outbound message prefixed
// "outbound:". A vendor may number the two directions apart (a shop's
// replies and its customers' messages in tables of their own), and a buyer
// message whose id is that of an earlier reply must be stored, not taken
// for it; a reply polled back is still the reply stored when it was sent.
func messageKey(d sdk.Direction, externalID string) string {
	if d == sdk.Outbound {
		return outboundPrefix + clean(externalID)
	}
	return clean(externalID)
}

const outboundPrefix = "outbound:"

// identity is how a sender is recognized: a connector's sender id, e-mail
// address, phone number or handle, the first that is known.
type identity struct{ kind, value string }

func senderIdentity(p sdk.Party) identity {
	switch {
	case strings.TrimSpace(p.ID) != "":
		return identity{"id", clean(strings.TrimSpace(p.ID))}
	case strings.TrimSpace(p.Email) != "":
		return identity{"email", clean(strings.ToLower(strings.TrimSpace(p.Email)))}
	case strings.TrimSpace(p.Phone) != "":
		return identity{"phone", clean(strings.TrimSpace(p.Phone))}
	case strings.TrimSpace(p.Handle) != "":
		return identity{"handle", clean(strings.TrimSpace(p.Handle))}
	}
	return identity{}
}

// threadRow holds the columns of a thread that Ingest owns.
type threadRow struct {
	id, external, channel, contactID string
	messages                         int64
	firstMessageID                   string
	firstInboundAt, lastInboundAt    time.Time
	firstResponseAt, lastHumanAt     time.Time
	touched                          bool
}

type contactRow struct {
	id, name, email, phone, handle string
	messages                       int64
	lastMessageAt                  time.Time
	touched, created               bool
}

func (s *sqlStore) Ingest(ctx context.Context, b IngestBatch) ([]Ingested, error) {
	what := fmt.Sprintf("ingest %s/%s", b.Connector, b.Account)
	msgs, err := s.prepare(b)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	var out []Ingested
	err = s.write(ctx, what, true, func(t *tx) error {
		var err error
		out, err = s.ingest(ctx, t, b, msgs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prepare checks the batch, gives each message its id and encodes it.
func (s *sqlStore) prepare(b IngestBatch) ([]*incoming, error) {
	switch {
	case b.Connector == "" || b.Account == "":
		return nil, errors.New("the batch names no connector or no account")
	case b.ReceivedAt.IsZero():
		return nil, errors.New("the batch has no ReceivedAt time")
	}
	seen := make(map[string]bool, len(b.Messages))
	msgs := make([]*incoming, 0, len(b.Messages))
	for i, m := range b.Messages {
		if err := CheckMessage(&m); err != nil {
			return nil, fmt.Errorf("message %d of the batch: %w", i, err)
		}
		if (m.Connector != "" && m.Connector != b.Connector) || (m.Account != "" && m.Account != b.Account) {
			return nil, fmt.Errorf("message %d (external id %q) belongs to %s/%s, not to the batch's %s/%s", i, m.ExternalID, m.Connector, m.Account, b.Connector, b.Account)
		}
		in := &incoming{external: messageKey(m.Direction, m.ExternalID)}
		if seen[in.external] {
			continue // delivered twice in one batch: the first counts
		}
		seen[in.external] = true
		m.ID = s.ids.at(b.ReceivedAt)
		m.Connector, m.Account = b.Connector, b.Account
		in.id, in.msg = m.ID, m
		in.thread = clean(m.Thread)
		if in.thread == "" {
			in.thread = clean(m.ExternalID)
		}
		in.channel = clean(m.Channel)
		in.inbound = m.Direction != sdk.Outbound
		in.automatic, _ = loopguard.Automatic(&m)
		if in.inbound {
			in.identity = senderIdentity(m.Sender)
		}
		body, err := json.Marshal(&m)
		if err != nil {
			return nil, fmt.Errorf("message %d (external id %q): encode: %w", i, m.ExternalID, err)
		}
		in.body = string(body)
		msgs = append(msgs, in)
	}
	return msgs, nil
}

func (s *sqlStore) ingest(ctx context.Context, t *tx, b IngestBatch, all []*incoming) ([]Ingested, error) {
	fresh, err := s.unstored(ctx, t, b, all)
	if err != nil {
		return nil, err
	}
	var out []Ingested
	if len(fresh) > 0 {
		threads, err := s.lockThreads(ctx, t, b, fresh)
		if err != nil {
			return nil, err
		}
		contacts, newIdentities, err := s.lockContacts(ctx, t, b, fresh)
		if err != nil {
			return nil, err
		}
		previous := make([]time.Time, len(fresh))
		out = make([]Ingested, len(fresh))
		for i, m := range fresh {
			at := arrival(b, len(fresh), i)
			th := threads[m.thread]
			th.touched = true
			out[i] = Ingested{MessageID: m.id, ThreadID: th.id, Inbound: m.inbound}
			if !m.inbound {
				th.lastHumanAt = later(th.lastHumanAt, at)
				th.firstResponseAt = earlier(th.firstResponseAt, at)
				continue
			}
			th.messages++
			th.lastInboundAt = later(th.lastInboundAt, at)
			if !m.automatic && th.firstMessageID == "" {
				th.firstMessageID, th.firstInboundAt = m.id, at
			}
			c := contacts[m.identity]
			if c == nil {
				continue
			}
			out[i].ContactID = c.id
			c.touched = true
			previous[i] = c.lastMessageAt
			c.messages++
			if !m.automatic {
				c.lastMessageAt = later(c.lastMessageAt, at)
				if th.contactID == "" {
					th.contactID = c.id
				}
			}
			p := m.msg.Sender
			c.name = firstOf(clean(p.Name), c.name)
			c.email = firstOf(clean(p.Email), c.email)
			c.phone = firstOf(clean(p.Phone), c.phone)
			c.handle = firstOf(clean(p.Handle), c.handle)
		}
		if err := s.writeContacts(ctx, t, b, contacts, newIdentities); err != nil {
			return nil, err
		}
		if err := s.writeThreads(ctx, t, b, threads); err != nil {
			return nil, err
		}
		if err := s.insertMessages(ctx, t, b, fresh, out, previous); err != nil {
			return nil, err
		}
		var rows []OutboxRow
		for i, m := range fresh {
			if m.inbound {
				rows = append(rows, OutboxRow{Subject: SubjectMessages, DedupID: messageDedupID(b.Connector, b.Account, m.external), Payload: []byte(out[i].MessageID)})
			}
		}
		if err := s.insertOutbox(ctx, t, rows, b.ReceivedAt); err != nil {
			return nil, err
		}
		if err := s.insertPendingEvaluations(ctx, t, rows, b.ReceivedAt); err != nil {
			return nil, err
		}
	}
	if b.Cursor != nil {
		if _, err := t.exec(ctx, `INSERT INTO cursors (connector, account, cursor, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (connector, account) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
			b.Connector, b.Account, nonNil(b.Cursor), stamp(b.ReceivedAt)); err != nil {
			return nil, fmt.Errorf("save cursor: %w", err)
		}
	}
	return out, nil
}

// unstored returns the messages of the batch not stored yet.
func (s *sqlStore) unstored(ctx context.Context, t *tx, b IngestBatch, all []*incoming) ([]*incoming, error) {
	stored := map[string]bool{}
	// Every key column in the row value: PostgreSQL then looks each one up
	// in the unique index even before it has statistics on a young table
	// (with "connector = ? AND account = ? AND external_id IN (…)" it may
	// scan the account's whole index range).
	for _, c := range s.d.chunks(len(all), 3) {
		args := make([]any, 0, 3*(c[1]-c[0]))
		for _, m := range all[c[0]:c[1]] {
			args = append(args, b.Connector, b.Account, m.external)
		}
		rows, err := t.query(ctx, "SELECT external_id FROM messages WHERE (connector, account, external_id) IN (VALUES "+placeholders(c[1]-c[0], 3)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("find stored messages: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("find stored messages: %w", err)
			}
			stored[id] = true
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("find stored messages: %w", err)
		}
	}
	fresh := all[:0:0]
	for _, m := range all {
		if !stored[m.external] {
			fresh = append(fresh, m)
		}
	}
	return fresh, nil
}

// lockThreads loads (and on PostgreSQL locks, in id order) the threads of
// the new messages, and starts the missing ones.
func (s *sqlStore) lockThreads(ctx context.Context, t *tx, b IngestBatch, fresh []*incoming) (map[string]*threadRow, error) {
	threads := map[string]*threadRow{}
	var keys []string
	for _, m := range fresh {
		if _, ok := threads[m.thread]; !ok {
			threads[m.thread] = nil
			keys = append(keys, m.thread)
		}
	}
	for _, c := range s.d.chunks(len(keys), 3) {
		args := make([]any, 0, 3*(c[1]-c[0]))
		for _, k := range keys[c[0]:c[1]] {
			args = append(args, b.Connector, b.Account, k)
		}
		rows, err := t.query(ctx, `SELECT id, external_id, channel, contact_id, messages, first_message_id,
       first_inbound_at, last_inbound_at, first_response_at, last_human_reply_at
FROM threads WHERE (connector, account, external_id) IN (VALUES `+placeholders(c[1]-c[0], 3)+`) ORDER BY id`+s.d.forUpdate(), args...)
		if err != nil {
			return nil, fmt.Errorf("lock threads: %w", err)
		}
		for rows.Next() {
			var (
				th                                  threadRow
				contact, first                      sql.NullString
				firstIn, lastIn, firstResp, lastHum nanos
			)
			if err := rows.Scan(&th.id, &th.external, &th.channel, &contact, &th.messages, &first,
				&firstIn, &lastIn, &firstResp, &lastHum); err != nil {
				rows.Close()
				return nil, fmt.Errorf("lock threads: %w", err)
			}
			th.contactID, th.firstMessageID = contact.String, first.String
			th.firstInboundAt, th.lastInboundAt, th.firstResponseAt, th.lastHumanAt = firstIn.Time(), lastIn.Time(), firstResp.Time(), lastHum.Time()
			threads[th.external] = &th
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("lock threads: %w", err)
		}
	}
	for _, m := range fresh {
		if threads[m.thread] == nil {
			threads[m.thread] = &threadRow{id: s.ids.at(b.ReceivedAt), external: m.thread, channel: m.channel}
		}
	}
	return threads, nil
}

// lockContacts loads (and on PostgreSQL locks) the contacts of the new
// messages' senders, and starts a contact for each unknown identity.
func (s *sqlStore) lockContacts(ctx context.Context, t *tx, b IngestBatch, fresh []*incoming) (map[identity]*contactRow, []identity, error) {
	contacts := map[identity]*contactRow{}
	var keys []identity
	for _, m := range fresh {
		if m.identity == (identity{}) {
			continue
		}
		if _, ok := contacts[m.identity]; !ok {
			contacts[m.identity] = nil
			keys = append(keys, m.identity)
		}
	}
	byID := map[string]*contactRow{}
	for _, c := range s.d.chunks(len(keys), 3) {
		args := make([]any, 0, 3*(c[1]-c[0]))
		for _, k := range keys[c[0]:c[1]] {
			args = append(args, b.Connector, k.kind, k.value)
		}
		rows, err := t.query(ctx, `SELECT ci.kind, ci.value, c.id, c.name, c.email, c.phone, c.handle, c.messages, c.last_message_at, c.pruned
FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
WHERE (ci.connector, ci.kind, ci.value) IN (VALUES `+placeholders(c[1]-c[0], 3)+`) ORDER BY c.id`+s.d.forUpdate("c"), args...)
		if err != nil {
			return nil, nil, fmt.Errorf("lock contacts: %w", err)
		}
		for rows.Next() {
			var (
				k      identity
				c      contactRow
				last   nanos
				pruned bool
			)
			if err := rows.Scan(&k.kind, &k.value, &c.id, &c.name, &c.email, &c.phone, &c.handle, &c.messages, &last, &pruned); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("lock contacts: %w", err)
			}
			if pruned {
				// Blanked by a prune this ingest waited for, which deleted
				// the identity: the sender is a new contact.
				continue
			}
			c.lastMessageAt = last.Time()
			if known, ok := byID[c.id]; ok {
				contacts[k] = known // two identities of one contact
				continue
			}
			byID[c.id] = &c
			contacts[k] = &c
		}
		if err := closeRows(rows); err != nil {
			return nil, nil, fmt.Errorf("lock contacts: %w", err)
		}
	}
	var created []identity
	for _, k := range keys {
		if contacts[k] == nil {
			contacts[k] = &contactRow{id: s.ids.at(b.ReceivedAt), created: true}
			created = append(created, k)
		}
	}
	return contacts, created, nil
}

// writeContacts upserts the touched contacts in full (their rows are locked,
// or new) and records the new identities.
func (s *sqlStore) writeContacts(ctx context.Context, t *tx, b IngestBatch, contacts map[identity]*contactRow, created []identity) error {
	var rows []*contactRow
	done := map[string]bool{}
	for _, c := range contacts {
		if c.touched && !done[c.id] {
			done[c.id] = true
			rows = append(rows, c)
		}
	}
	// A stable order keeps PostgreSQL's row locks in one order too.
	sortBy(rows, func(c *contactRow) string { return c.id })
	at := stamp(b.ReceivedAt)
	const cols = 9
	for _, c := range s.d.chunks(len(rows), cols) {
		args := make([]any, 0, (c[1]-c[0])*cols)
		for _, r := range rows[c[0]:c[1]] {
			args = append(args, r.id, r.name, r.email, r.phone, r.handle, r.messages, stamp(r.lastMessageAt), at, at)
		}
		if _, err := t.exec(ctx, `INSERT INTO contacts (id, name, email, phone, handle, messages, last_message_at, created_at, updated_at)
VALUES `+placeholders(c[1]-c[0], cols)+`
ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone, handle = excluded.handle,
    messages = excluded.messages, last_message_at = excluded.last_message_at, updated_at = excluded.updated_at`, args...); err != nil {
			return fmt.Errorf("write contacts: %w", err)
		}
	}
	const icols = 5
	for _, c := range s.d.chunks(len(created), icols) {
		args := make([]any, 0, (c[1]-c[0])*icols)
		for _, k := range created[c[0]:c[1]] {
			args = append(args, b.Connector, k.kind, k.value, contacts[k].id, at)
		}
		// A plain insert: when a concurrent ingest recorded the identity
		// first, the unique key fails this run and the next one finds it.
		if _, err := t.exec(ctx, "INSERT INTO contact_identities (connector, kind, value, contact_id, created_at) VALUES "+placeholders(c[1]-c[0], icols), args...); err != nil {
			return fmt.Errorf("record sender identities: %w", err)
		}
	}
	return nil
}

// writeThreads upserts the touched threads' ingest columns.
func (s *sqlStore) writeThreads(ctx context.Context, t *tx, b IngestBatch, threads map[string]*threadRow) error {
	var rows []*threadRow
	for _, th := range threads {
		if th.touched {
			rows = append(rows, th)
		}
	}
	sortBy(rows, func(th *threadRow) string { return th.id })
	at := stamp(b.ReceivedAt)
	const cols = 14
	for _, c := range s.d.chunks(len(rows), cols) {
		args := make([]any, 0, (c[1]-c[0])*cols)
		for _, r := range rows[c[0]:c[1]] {
			args = append(args, r.id, b.Connector, b.Account, r.external, r.channel, nullText(r.contactID), r.messages, nullText(r.firstMessageID),
				stamp(r.firstInboundAt), stamp(r.lastInboundAt), stamp(r.firstResponseAt), stamp(r.lastHumanAt), at, at)
		}
		// A new thread whose key a concurrent ingest took first fails on the
		// unique key, and the next run finds that thread.
		if _, err := t.exec(ctx, `INSERT INTO threads (id, connector, account, external_id, channel, contact_id, messages, first_message_id,
    first_inbound_at, last_inbound_at, first_response_at, last_human_reply_at, created_at, updated_at)
VALUES `+placeholders(c[1]-c[0], cols)+`
ON CONFLICT (id) DO UPDATE SET contact_id = excluded.contact_id, messages = excluded.messages, first_message_id = excluded.first_message_id,
    first_inbound_at = excluded.first_inbound_at, last_inbound_at = excluded.last_inbound_at,
    first_response_at = excluded.first_response_at, last_human_reply_at = excluded.last_human_reply_at, updated_at = excluded.updated_at`, args...); err != nil {
			return fmt.Errorf("write threads: %w", err)
		}
	}
	return nil
}

// arrival is when the i-th of a batch's n new messages was received: a
// nanosecond after the one before it, the last at the batch's time
// (IngestBatch.ReceivedAt).
func arrival(b IngestBatch, n, i int) time.Time { return b.ReceivedAt.Add(-time.Duration(n - 1 - i)) }

func (s *sqlStore) insertMessages(ctx context.Context, t *tx, b IngestBatch, fresh []*incoming, out []Ingested, previous []time.Time) error {
	const cols = 14
	for _, c := range s.d.chunks(len(fresh), cols) {
		args := make([]any, 0, (c[1]-c[0])*cols)
		for i := c[0]; i < c[1]; i++ {
			m := fresh[i]
			dir := "inbound"
			if !m.inbound {
				dir = "outbound"
			}
			args = append(args, m.id, b.Connector, b.Account, m.external, m.channel, out[i].ThreadID, nullText(out[i].ContactID),
				dir, "channel", m.automatic, stamp(m.msg.SentAt), stamp(arrival(b, len(fresh), i)), stamp(previous[i]), m.body)
		}
		n, err := t.exec(ctx, `INSERT INTO messages (id, connector, account, external_id, channel, thread_id, contact_id,
    direction, origin, automatic, sent_at, received_at, contact_previous_at, body)
VALUES `+placeholders(c[1]-c[0], cols)+" ON CONFLICT DO NOTHING", args...)
		if err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
		if n != int64(c[1]-c[0]) {
			// A concurrent ingest stored some of them after this one looked:
			// what was computed from its reading is stale.
			return errConflict
		}
	}
	return nil
}

// insertPendingEvaluations remembers the messages to evaluate until Plan
// records their evaluation (see Requeue).
func (s *sqlStore) insertPendingEvaluations(ctx context.Context, t *tx, rows []OutboxRow, at time.Time) error {
	const cols = 3
	for _, c := range s.d.chunks(len(rows), cols) {
		args := make([]any, 0, (c[1]-c[0])*cols)
		for _, r := range rows[c[0]:c[1]] {
			args = append(args, string(r.Payload), r.DedupID, stamp(at))
		}
		if _, err := t.exec(ctx, "INSERT INTO pending_evaluations (message_id, dedup_id, created_at) VALUES "+placeholders(c[1]-c[0], cols)+" ON CONFLICT DO NOTHING", args...); err != nil {
			return fmt.Errorf("remember messages to evaluate: %w", err)
		}
	}
	return nil
}

// insertOutbox writes rows to publish, in order.
func (s *sqlStore) insertOutbox(ctx context.Context, t *tx, rows []OutboxRow, at time.Time) error {
	const cols = 4
	for _, c := range s.d.chunks(len(rows), cols) {
		args := make([]any, 0, (c[1]-c[0])*cols)
		for _, r := range rows[c[0]:c[1]] {
			args = append(args, r.Subject, r.DedupID, nonNil(r.Payload), stamp(at))
		}
		if _, err := t.exec(ctx, "INSERT INTO outbox (subject, dedup_id, payload, created_at) VALUES "+placeholders(c[1]-c[0], cols), args...); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
	}
	return nil
}

func (s *sqlStore) Cursor(ctx context.Context, connector, account string) ([]byte, error) {
	var cur []byte
	err := s.read(ctx, "cursor of "+connector+"/"+account, func(t *tx) error {
		err := t.queryRow(ctx, "SELECT cursor FROM cursors WHERE connector = ? AND account = ?", connector, account).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err == nil && cur == nil {
			cur = []byte{} // saved, and empty
		}
		return err
	})
	return cur, err
}

func (s *sqlStore) Inbounds(ctx context.Context, ids []string) ([]*workflow.Inbound, error) {
	out := make([]*workflow.Inbound, len(ids))
	err := s.readFresh(ctx, fmt.Sprintf("load %d messages", len(ids)), func(t *tx) error {
		found, err := loadInbounds(ctx, t, ids)
		if err != nil {
			return err
		}
		for i, id := range ids {
			out[i] = found[id]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inboundColumns are what the engine reads of a message: its own columns,
// its thread's, and its contact's (NULL when it has none).
var inboundColumns = "m.id, m.body, m.received_at, m.contact_previous_at, " + qualified("t", threadColumns) +
	", c.id, c.name, c.email, c.phone, c.handle, c.messages"

// loadInbounds loads messages for the engine, each with its thread and
// contact, by id; one that is not stored is missing. The ids are asked in
// lists padded to a power of two with an id no message has, so that a few
// prepared statements serve every batch size.
func loadInbounds(ctx context.Context, t *tx, ids []string) (map[string]*workflow.Inbound, error) {
	out := make(map[string]*workflow.Inbound, len(ids))
	for _, c := range t.d.chunks(len(ids), 1) {
		args := make([]any, 1<<bits.Len(uint(c[1]-c[0]-1)))
		for i := range args {
			args[i] = ""
			if c[0]+i < c[1] {
				args[i] = ids[c[0]+i]
			}
		}
		rows, err := t.query(ctx, "SELECT "+inboundColumns+` FROM messages m JOIN threads t ON t.id = m.thread_id
LEFT JOIN contacts c ON c.id = m.contact_id WHERE m.id IN (`+list(len(args))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("load messages: %w", err)
		}
		for rows.Next() {
			in, err := scanInbound(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("load messages: %w", err)
			}
			out[in.Message.ID] = in
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("load messages: %w", err)
		}
	}
	return out, nil
}

func scanInbound(sc scanner) (*workflow.Inbound, error) {
	var (
		id, body                              string
		received                              int64
		previous                              nanos
		contactID, name, email, phone, handle sql.NullString
		messages                              sql.NullInt64
	)
	th, err := scanThread(around{sc, []any{&id, &body, &received, &previous}, []any{&contactID, &name, &email, &phone, &handle, &messages}})
	if err != nil {
		return nil, err
	}
	in := &workflow.Inbound{ReceivedAt: fromNanos(received), ContactPreviousAt: previous.Time(), Thread: th.Thread}
	if err := json.Unmarshal([]byte(body), &in.Message); err != nil {
		return nil, fmt.Errorf("decode the stored message %s: %w", id, err)
	}
	in.Message.ID = id
	if contactID.Valid {
		in.Contact = workflow.Contact{ID: contactID.String, Name: name.String, Email: email.String, Phone: phone.String,
			Handle: handle.String, Messages: int(messages.Int64)}
	}
	return in, nil
}

// loadInbound loads a message for the engine; nil when it is not stored.
func loadInbound(ctx context.Context, t *tx, messageID string) (*workflow.Inbound, error) {
	found, err := loadInbounds(ctx, t, []string{messageID})
	return found[messageID], err
}

// around scans a row whose columns are before's, then a scanner's, then
// after's, so that one query can fill a type with a scanner of its own.
type around struct {
	sc            scanner
	before, after []any
}

func (a around) Scan(dest ...any) error {
	all := make([]any, 0, len(a.before)+len(dest)+len(a.after))
	return a.sc.Scan(append(append(append(all, a.before...), dest...), a.after...)...)
}

// qualified prefixes each of a list of columns with a table alias.
func qualified(alias, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = alias + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sortBy sorts s by a string key.
func sortBy[T any](s []T, key func(T) string) {
	slices.SortFunc(s, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
