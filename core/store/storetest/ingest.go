package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/switchboard-hub/switchboard/core/loopguard"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

var ingestTests = []test{
	{"Ingest/NewMessages", testIngestNew},
	{"Ingest/Redelivery", testIngestRedelivery},
	{"Ingest/DuplicateInBatch", testIngestDuplicateInBatch},
	{"Ingest/Cursor", testIngestCursor},
	{"Ingest/Invalid", testIngestInvalid},
	{"Ingest/RoundTrip", testIngestRoundTrip},
	{"Ingest/Rules", testIngestRules},
	{"Ingest/RulesRandom", testIngestRulesRandom},
	{"Ingest/RulesInOneBatch", testIngestRulesInOneBatch},
	{"Ingest/OrderInOneBatch", testIngestOrderInOneBatch},
	{"Ingest/Contacts", testIngestContacts},
	{"Ingest/NoThreadID", testIngestNoThreadID},
	{"Ingest/Outbound", testIngestOutbound},
	{"Ingest/DirectionsNumberedApart", testIngestDirectionsNumberedApart},
	{"Ingest/DedupIDs", testIngestDedupIDs},
	{"Ingest/UnusualText", testIngestUnusualText},
	{"Inbound/NotFound", testInboundNotFound},
	{"Inbound/Batch", testInboundBatch},
}

func testIngestNew(t *testing.T, s store.Store) {
	got, err := s.Ingest(ctx(t), store.IngestBatch{
		Connector: connector, Account: account, ReceivedAt: t0, Cursor: []byte("page-2"),
		Messages: []sdk.Message{msg("e1", "t1", "anna"), msg("e2", "t2", "bob"), msg("e3", "t1", "anna")},
	})
	must(t, "Ingest", err)
	if len(got) != 3 {
		t.Fatalf("Ingest returned %d messages, want 3", len(got))
	}
	for i, g := range got {
		if _, err := ulid.ParseStrict(g.MessageID); err != nil {
			t.Errorf("message %d: id %q is not a ULID: %v", i, g.MessageID, err)
		}
		if g.ThreadID == "" || g.ContactID == "" {
			t.Errorf("message %d: thread %q, contact %q; want both", i, g.ThreadID, g.ContactID)
		}
	}
	if got[0].ThreadID != got[2].ThreadID || got[0].ThreadID == got[1].ThreadID {
		t.Errorf("threads %s %s %s: messages 1 and 3 share thread t1, message 2 is in t2", got[0].ThreadID, got[1].ThreadID, got[2].ThreadID)
	}
	if got[0].ContactID != got[2].ContactID || got[0].ContactID == got[1].ContactID {
		t.Errorf("contacts %s %s %s: messages 1 and 3 come from anna, message 2 from bob", got[0].ContactID, got[1].ContactID, got[2].ContactID)
	}
	diff(t, "outbox after ingest", []string{
		"messages allegro/shop_pl/e1 " + got[0].MessageID,
		"messages allegro/shop_pl/e2 " + got[1].MessageID,
		"messages allegro/shop_pl/e3 " + got[2].MessageID,
	}, outboxOf(drain(t, s)))
	cur, err := s.Cursor(ctx(t), connector, account)
	must(t, "Cursor", err)
	diff(t, "cursor", "page-2", string(cur))
	th, msgs := thread(t, s, got[0].ThreadID)
	if th.Messages != 2 || len(msgs) != 2 || msgs[0].ExternalID != "e1" || msgs[1].ExternalID != "e3" {
		t.Errorf("thread t1: %d messages counted, %d stored (%v); want e1 and e3", th.Messages, len(msgs), msgs)
	}
	diff(t, "thread identity", []string{connector, account, "discussions", "t1", got[0].ContactID},
		[]string{th.Connector, th.Account, th.Channel, th.ExternalID, th.ContactID})
	if !th.UpdatedAt.Equal(t0) {
		t.Errorf("thread updated at %s, want %s", th.UpdatedAt, t0)
	}
	if st := stats(t, s); st.Outbox != 0 {
		t.Errorf("Stats.Outbox = %d after publishing everything", st.Outbox)
	}
}

func testIngestRedelivery(t *testing.T, s store.Store) {
	b := store.IngestBatch{Connector: connector, Account: account, ReceivedAt: t0, Cursor: []byte("c1"),
		Messages: []sdk.Message{msg("e1", "t1", "anna"), msg("e2", "t1", "anna")}}
	first, err := s.Ingest(ctx(t), b)
	must(t, "first Ingest", err)
	drain(t, s)
	before := inbound(t, s, first[1].MessageID)

	// The same batch hours later: nothing new, nothing moves.
	b.ReceivedAt = at(5 * time.Hour)
	again, err := s.Ingest(ctx(t), b)
	must(t, "second Ingest", err)
	if len(again) != 0 {
		t.Errorf("redelivered batch returned %d messages, want none", len(again))
	}
	if rows := drain(t, s); len(rows) != 0 {
		t.Errorf("redelivered batch wrote outbox rows %v", outboxOf(rows))
	}
	diff(t, "message after redelivery", before, inbound(t, s, first[1].MessageID))

	// A batch that overlaps: only the new message is returned and counted.
	b.Messages = append(b.Messages, msg("e3", "t1", "anna"))
	b.ReceivedAt = at(6 * time.Hour)
	overlap, err := s.Ingest(ctx(t), b)
	must(t, "overlapping Ingest", err)
	if len(overlap) != 1 {
		t.Fatalf("overlapping batch returned %d messages, want 1 (e3)", len(overlap))
	}
	in := inbound(t, s, overlap[0].MessageID)
	if in.Message.ExternalID != "e3" || in.Thread.Messages != 3 || in.Contact.Messages != 3 {
		t.Errorf("after overlap: message %s, thread counts %d, contact counts %d; want e3, 3, 3",
			in.Message.ExternalID, in.Thread.Messages, in.Contact.Messages)
	}
	diff(t, "outbox after overlap", []string{"messages allegro/shop_pl/e3 " + overlap[0].MessageID}, outboxOf(drain(t, s)))

	// The same external id on another account is another message.
	other, err := s.Ingest(ctx(t), store.IngestBatch{Connector: connector, Account: "shop_cz", ReceivedAt: t0, Messages: []sdk.Message{msg("e1", "t1", "anna")}})
	must(t, "Ingest on another account", err)
	if len(other) != 1 || other[0].ThreadID == first[0].ThreadID {
		t.Errorf("e1 on another account: %v; want a new message in a new thread", other)
	}
}

func testIngestDuplicateInBatch(t *testing.T, s store.Store) {
	got := ingestAt(t, s, t0, msg("e1", "t1", "anna"), msg("e1", "t1", "anna"), msg("e2", "t1", "anna"))
	if len(got) != 2 {
		t.Fatalf("batch with e1 twice returned %d messages, want 2", len(got))
	}
	th, msgs := thread(t, s, got[0].ThreadID)
	if th.Messages != 2 || len(msgs) != 2 {
		t.Errorf("thread counts %d messages and holds %d, want 2", th.Messages, len(msgs))
	}
	if rows := drain(t, s); len(rows) != 2 {
		t.Errorf("outbox holds %v, want one row per message", outboxOf(rows))
	}
}

func testIngestCursor(t *testing.T, s store.Store) {
	get := func() []byte {
		t.Helper()
		c, err := s.Cursor(ctx(t), connector, account)
		must(t, "Cursor", err)
		return c
	}
	if c := get(); c != nil {
		t.Fatalf("cursor of a new account is %q, want nil", c)
	}
	ingest := func(cursor []byte, msgs ...sdk.Message) {
		t.Helper()
		_, err := s.Ingest(ctx(t), store.IngestBatch{Connector: connector, Account: account, ReceivedAt: t0, Cursor: cursor, Messages: msgs})
		must(t, "Ingest", err)
	}
	ingest([]byte("p1"), msg("e1", "t1", "anna"))
	diff(t, "cursor", "p1", string(get()))
	ingest(nil, msg("e2", "t1", "anna"))
	diff(t, "cursor after a batch without one", "p1", string(get()))
	ingest([]byte("p2")) // an empty poll still moves the cursor
	diff(t, "cursor after an empty batch", "p2", string(get()))
	ingest([]byte{})
	if c := get(); c == nil || len(c) != 0 {
		t.Errorf("cursor saved empty reads back as %#v, want empty and not nil", c)
	}
	if c, err := s.Cursor(ctx(t), connector, "other"); err != nil || c != nil {
		t.Errorf("cursor of another account: %q, %v; want nil", c, err)
	}
}

func testIngestInvalid(t *testing.T, s store.Store) {
	cases := []struct {
		name string
		b    store.IngestBatch
		want string
	}{
		{"no external id", store.IngestBatch{Connector: connector, Account: account, ReceivedAt: t0, Messages: []sdk.Message{msg("ok", "t", "a"), msg("", "t", "a")}}, "message 1"},
		{"no time", store.IngestBatch{Connector: connector, Account: account, Messages: []sdk.Message{msg("e", "t", "a")}}, "ReceivedAt"},
		{"no account", store.IngestBatch{Connector: connector, ReceivedAt: t0, Messages: []sdk.Message{msg("e", "t", "a")}}, "account"},
		{"other connector", store.IngestBatch{Connector: connector, Account: account, ReceivedAt: t0,
			Messages: []sdk.Message{msg("e", "t", "a", func(m *sdk.Message) { m.Connector = "ebay" })}}, "ebay"},
	}
	// Ids longer than the store keys: PostgreSQL would refuse their index
	// entries, for ever, however often the vendor delivers them again.
	long := strings.Repeat("x", store.MaxIDBytes+1)
	for _, f := range []struct {
		name string
		set  func(*sdk.Message)
	}{
		{"external id", func(m *sdk.Message) { m.ExternalID = long }},
		{"thread", func(m *sdk.Message) { m.Thread = long }},
		{"channel", func(m *sdk.Message) { m.Channel = long }},
		{"sender id", func(m *sdk.Message) { m.Sender.ID = long }},
		{"sender e-mail", func(m *sdk.Message) { m.Sender.ID, m.Sender.Email = "", long }},
	} {
		cases = append(cases, struct {
			name string
			b    store.IngestBatch
			want string
		}{"long " + f.name, store.IngestBatch{Connector: connector, Account: account, ReceivedAt: t0,
			Messages: []sdk.Message{msg("ok", "t", "a"), msg("long", "t", "a", f.set)}}, "message 1 of the batch: invalid message: external id"})
	}
	for _, c := range cases {
		c.b.Cursor = []byte("moved")
		_, err := s.Ingest(ctx(t), c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
		if strings.HasPrefix(c.name, "long ") && (!errors.Is(err, store.ErrInvalidMessage) || !strings.Contains(err.Error(), strings.TrimPrefix(c.name, "long "))) {
			t.Errorf("%s: error %v, want ErrInvalidMessage naming the field", c.name, err)
		}
	}
	if rows := drain(t, s); len(rows) != 0 {
		t.Errorf("refused batches wrote outbox rows %v", outboxOf(rows))
	}
	if c, _ := s.Cursor(ctx(t), connector, account); c != nil {
		t.Errorf("a refused batch moved the cursor to %q", c)
	}
}

func testIngestRoundTrip(t *testing.T, s store.Store) {
	m := sdk.Message{
		ExternalID: "full-1", Channel: "message_center", Thread: "order-77", Direction: sdk.Inbound,
		Sender:     sdk.Party{ID: "u-1", Name: "Anna Nowak", Handle: "anna_n", Email: "Anna@Example.com", Phone: "+48600100200"},
		Recipients: []sdk.Party{{ID: "shop", Name: "Shop"}},
		Subject:    "Zwrot", Text: "Dzień dobry,\nchcę zwrócić towar.", HTML: "<p>Dzień dobry</p>",
		Attachments: []sdk.Attachment{{Name: "photo.jpg", ContentType: "image/jpeg", Size: 3, Data: []byte{1, 2, 3}},
			{Name: "invoice.pdf", ContentType: "application/pdf", Size: 1000, Ref: "att-9"}},
		SentAt:   time.Date(2026, 3, 2, 8, 59, 30, 123456789, time.UTC),
		OrderRef: "ord-77", Language: "pl", Headers: map[string]string{"X-Vendor": "1"}, InReplyTo: "prev-1",
	}
	received := time.Date(2026, 3, 2, 9, 0, 1, 987654321, time.UTC)
	in := one(t, s, m, received)
	got := inbound(t, s, in.MessageID)
	want := m
	want.ID, want.Connector, want.Account = in.MessageID, connector, account
	diff(t, "stored message", want, got.Message)
	if !got.ReceivedAt.Equal(received) {
		t.Errorf("ReceivedAt %s, want %s (to the nanosecond)", got.ReceivedAt, received)
	}
	diff(t, "contact", workflow.Contact{ID: in.ContactID, Name: "Anna Nowak", Email: "Anna@Example.com", Phone: "+48600100200", Handle: "anna_n", Messages: 1}, got.Contact)
	_, msgs := thread(t, s, in.ThreadID)
	diff(t, "thread messages", []sdk.Message{want}, msgs)
}

// event is one received message of a rules scenario.
type event struct {
	after  time.Duration
	thread string
	from   string
	auto   bool
}

// model applies core/workflowtest's ingest rules (run.handleEvent): the
// store must agree with the test runner on every one of them.
type model struct {
	threads  map[string]*workflow.Thread
	contacts map[string]*workflow.Contact
	lastSeen map[string]time.Time
}

func newModel() *model {
	return &model{threads: map[string]*workflow.Thread{}, contacts: map[string]*workflow.Contact{}, lastSeen: map[string]time.Time{}}
}

// receive returns what Inbound must show for the message, right after it
// was stored.
func (m *model) receive(msg sdk.Message, id string, now time.Time) workflow.Inbound {
	th := m.threads[msg.Thread]
	if th == nil {
		th = &workflow.Thread{ExternalID: msg.Thread}
		m.threads[msg.Thread] = th
	}
	c := m.contacts[msg.Sender.ID]
	if c == nil {
		c = &workflow.Contact{}
		m.contacts[msg.Sender.ID] = c
	}
	c.Name = msg.Sender.Name
	c.Messages++
	in := workflow.Inbound{ReceivedAt: now}
	th.Messages++
	th.LastInboundAt = now
	in.ContactPreviousAt = m.lastSeen[msg.Sender.ID]
	if auto, _ := loopguard.Automatic(&msg); !auto {
		if th.FirstMessageID == "" {
			th.FirstMessageID = id
			th.FirstInboundAt = now
		}
		m.lastSeen[msg.Sender.ID] = now
	}
	in.Thread, in.Contact = *th, *c
	return in
}

// check compares what the store shows with the model, ignoring the ids the
// model cannot know.
func check(t *testing.T, label string, want workflow.Inbound, got *workflow.Inbound) {
	t.Helper()
	want.Thread.ID, want.Contact.ID = got.Thread.ID, got.Contact.ID
	want.Message = got.Message
	diff(t, label, want, *got)
}

func playRules(t *testing.T, s store.Store, events []event) {
	t.Helper()
	m := newModel()
	for i, e := range events {
		opts := []func(*sdk.Message){}
		if e.auto {
			opts = append(opts, automatic)
		}
		sm := msg(fmt.Sprintf("e%d", i), e.thread, e.from, opts...)
		now := at(e.after)
		in := one(t, s, sm, now)
		check(t, fmt.Sprintf("message %d (%s in %s from %s, automatic %t)", i, sm.ExternalID, e.thread, e.from, e.auto), m.receive(sm, in.MessageID, now), inbound(t, s, in.MessageID))
	}
}

func testIngestRules(t *testing.T, s store.Store) {
	scenarios := []struct {
		name   string
		events []event
	}{
		{"first message and counts", []event{{0, "a", "anna", false}, {time.Minute, "a", "anna", false}, {2 * time.Minute, "a", "bob", false}}},
		{"automatic message is not the thread's first", []event{{0, "b", "robot", true}, {time.Hour, "b", "anna", false}}},
		{"automatic message is not the contact's last", []event{{0, "c", "carl", false}, {time.Hour, "c", "carl", true}, {2 * time.Hour, "c", "carl", false}}},
		{"contact across threads", []event{{0, "d1", "dora", false}, {3 * time.Hour, "d2", "dora", false}, {4 * time.Hour, "d3", "dora", true}}},
		{"only automatic messages", []event{{0, "e", "mailer", true}, {time.Minute, "e", "mailer", true}}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// Scenarios share the store, so their names keep threads and
			// senders apart.
			events := make([]event, len(sc.events))
			for i, e := range sc.events {
				e.thread = sc.name + "/" + e.thread
				e.from = sc.name + "/" + e.from
				events[i] = e
			}
			playRulesNamed(t, s, sc.name, events)
		})
	}
}

// playRulesNamed is playRules with external ids unique to the scenario.
func playRulesNamed(t *testing.T, s store.Store, name string, events []event) {
	t.Helper()
	m := newModel()
	for i, e := range events {
		opts := []func(*sdk.Message){}
		if e.auto {
			opts = append(opts, automatic)
		}
		sm := msg(fmt.Sprintf("%s/e%d", name, i), e.thread, e.from, opts...)
		now := at(e.after)
		in := one(t, s, sm, now)
		check(t, fmt.Sprintf("message %d (automatic %t)", i, e.auto), m.receive(sm, in.MessageID, now), inbound(t, s, in.MessageID))
	}
}

func testIngestRulesRandom(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(1, 2))
	var events []event
	var after time.Duration
	for range 80 {
		after += time.Duration(r.IntN(90)) * time.Minute
		events = append(events, event{after, fmt.Sprintf("t%d", r.IntN(4)), fmt.Sprintf("buyer%d", r.IntN(3)), r.IntN(4) == 0})
	}
	playRules(t, s, events)
}

// In one batch each message is received a nanosecond after the one before
// it, the last at the batch's time, and each must see the messages before
// it in the batch.
func testIngestRulesInOneBatch(t *testing.T, s store.Store) {
	events := []event{{0, "x", "robot", true}, {0, "x", "xena", false}, {0, "x", "xena", false}, {0, "y", "xena", true}, {0, "y", "yuri", false}}
	var msgs []sdk.Message
	for i, e := range events {
		m := msg(fmt.Sprintf("b%d", i), e.thread, e.from)
		if e.auto {
			automatic(&m)
		}
		msgs = append(msgs, m)
	}
	got := ingestAt(t, s, t0, msgs...)
	if len(got) != len(msgs) {
		t.Fatalf("batch returned %d messages, want %d", len(got), len(msgs))
	}
	m := newModel()
	var want []workflow.Inbound
	for i, sm := range msgs {
		want = append(want, m.receive(sm, got[i].MessageID, t0.Add(-time.Duration(len(msgs)-1-i))))
	}
	for i := range msgs {
		in := inbound(t, s, got[i].MessageID)
		// The thread and contact are as they are now: after the whole batch.
		w := want[i]
		w.Thread, w.Contact = *m.threads[msgs[i].Thread], *m.contacts[msgs[i].Sender.ID]
		check(t, fmt.Sprintf("message %d", i), w, in)
	}
}

// A person's answer and the buyer's next message polled together keep
// their order: the buyer's message after the answer is not answered by it,
// and one before it is.
func testIngestOrderInOneBatch(t *testing.T, s store.Store) {
	answer := func(id, thread string) sdk.Message {
		return msg(id, thread, "shop", func(m *sdk.Message) { m.Direction = sdk.Outbound })
	}
	for _, tc := range []struct {
		name     string
		batch    []sdk.Message
		buyer    int // the buyer's message in the batch
		answered bool
	}{
		{"answer, then the buyer", []sdk.Message{answer("a1", "t1"), msg("b1", "t1", "anna")}, 1, false},
		{"the buyer, then the answer", []sdk.Message{msg("b2", "t2", "anna"), answer("a2", "t2")}, 0, true},
	} {
		got := ingestAt(t, s, t0, tc.batch...)
		in := inbound(t, s, got[tc.buyer].MessageID)
		if answered := !in.Thread.LastHumanReplyAt.Before(in.ReceivedAt); answered != tc.answered {
			t.Errorf("%s: buyer's message received at %s, the person answered at %s: answered %t, want %t",
				tc.name, in.ReceivedAt.Format(time.RFC3339Nano), in.Thread.LastHumanReplyAt.Format(time.RFC3339Nano), answered, tc.answered)
		}
	}
}

func testIngestContacts(t *testing.T, s store.Store) {
	ingest := func(conn, acct string, p sdk.Party) store.Ingested {
		t.Helper()
		m := msg(fmt.Sprintf("%s-%s-id=%s-email=%s-phone=%s-handle=%s", conn, acct, p.ID, p.Email, p.Phone, p.Handle), "t-"+acct, "")
		m.Sender = p
		got, err := s.Ingest(ctx(t), store.IngestBatch{Connector: conn, Account: acct, ReceivedAt: t0, Messages: []sdk.Message{m}})
		must(t, "Ingest", err)
		return got[0]
	}
	a := ingest("allegro", "shop_pl", sdk.Party{ID: "u1", Name: "Anna"})
	if b := ingest("allegro", "shop_cz", sdk.Party{ID: "u1"}); b.ContactID != a.ContactID {
		t.Errorf("one sender id on two accounts of a connector: contacts %s and %s, want one", a.ContactID, b.ContactID)
	}
	if b := ingest("ebay", "shop", sdk.Party{ID: "u1"}); b.ContactID == a.ContactID {
		t.Errorf("one sender id on two connectors: contact %s for both, want two", a.ContactID)
	}
	e1 := ingest("email", "box", sdk.Party{Email: "Jan@Example.com", Name: "Jan"})
	if e2 := ingest("email", "box2", sdk.Party{Email: "jan@example.COM"}); e2.ContactID != e1.ContactID {
		t.Errorf("one address in two spellings: contacts %s and %s, want one", e1.ContactID, e2.ContactID)
	}
	// The latest spelling of each detail wins; a message without one
	// erases nothing.
	if in := inbound(t, s, e1.MessageID); in.Contact.Name != "Jan" || in.Contact.Email != "jan@example.COM" || in.Contact.Messages != 2 {
		t.Errorf("contact %+v: want name Jan kept, the latest address, 2 messages", in.Contact)
	}
	p := ingest("whatsapp", "biz", sdk.Party{Phone: "+48600100200"})
	if h := ingest("whatsapp", "biz", sdk.Party{Handle: "+48600100200"}); h.ContactID == p.ContactID {
		t.Errorf("a phone number and a handle with the same text are different identities")
	}
	anon := ingest("webhook", "form", sdk.Party{Name: "Nobody"})
	if anon.ContactID != "" {
		t.Errorf("a sender with no id, address, phone or handle got contact %s, want none", anon.ContactID)
	}
	in := inbound(t, s, anon.MessageID)
	if in.Contact != (workflow.Contact{}) || !in.ContactPreviousAt.IsZero() || in.Thread.Messages != 1 || in.Thread.FirstMessageID != anon.MessageID {
		t.Errorf("anonymous message: contact %+v, previous %s, thread %+v", in.Contact, in.ContactPreviousAt, in.Thread)
	}
}

func testIngestNoThreadID(t *testing.T, s store.Store) {
	got := ingestAt(t, s, t0, msg("n1", "", "anna"), msg("n2", "", "anna"))
	if got[0].ThreadID == got[1].ThreadID {
		t.Fatalf("two messages without a thread id share thread %s; each must start its own", got[0].ThreadID)
	}
	th, _ := thread(t, s, got[1].ThreadID)
	if th.ExternalID != "n2" || th.FirstMessageID != got[1].MessageID {
		t.Errorf("thread of n2: external id %q, first message %q; want n2 and the message", th.ExternalID, th.FirstMessageID)
	}
}

// An outbound message in a batch is the seller answering in the vendor's
// own panel: a person's reply, stored, never evaluated.
func testIngestOutbound(t *testing.T, s store.Store) {
	buyer := one(t, s, msg("in-1", "t1", "anna"), t0)
	reply := msg("out-1", "t1", "shop", func(m *sdk.Message) { m.Direction = sdk.Outbound })
	got := ingestAt(t, s, at(time.Hour), reply)
	if len(got) != 1 || got[0].ThreadID != buyer.ThreadID || got[0].ContactID != "" {
		t.Fatalf("outbound message stored as %+v; want it in the buyer's thread, without a contact", got)
	}
	rows := drain(t, s)
	diff(t, "outbox", []string{"messages allegro/shop_pl/in-1 " + buyer.MessageID}, outboxOf(rows))
	th, msgs := thread(t, s, buyer.ThreadID)
	if th.Messages != 1 || len(msgs) != 2 || msgs[1].Direction != sdk.Outbound {
		t.Errorf("thread counts %d buyer messages and holds %d; want 1 and 2 (the reply last)", th.Messages, len(msgs))
	}
	if !th.LastHumanReplyAt.Equal(at(time.Hour)) || !th.FirstResponseAt.Equal(at(time.Hour)) {
		t.Errorf("reply times %s, %s; want %s", th.FirstResponseAt, th.LastHumanReplyAt, at(time.Hour))
	}
	if in := inbound(t, s, buyer.MessageID); in.Contact.Messages != 1 {
		t.Errorf("the seller's message counted for the buyer: contact has %d messages", in.Contact.Messages)
	}
	if again := ingestAt(t, s, at(2*time.Hour), reply); len(again) != 0 {
		t.Errorf("outbound message stored twice")
	}
}

// A vendor may number its two directions apart: a buyer message whose id is
// that of an earlier reply, sent by the hub or polled, is a message of its
// own, and a reply polled back is still the one stored.
func testIngestDirectionsNumberedApart(t *testing.T, s store.Store) {
	buyer := one(t, s, msg("in-1", "t1", "anna"), t0)
	must(t, "RecordAgentReply", s.RecordAgentReply(ctx(t), buyer.ThreadID, "manual/k1", sdk.Message{ExternalID: "42", Text: "On its way."}, at(time.Minute)))
	polled := msg("43", "t1", "shop", func(m *sdk.Message) { m.Direction = sdk.Outbound })
	if got := ingestAt(t, s, at(2*time.Minute), polled); len(got) != 1 {
		t.Fatalf("an outbound message polled: %d stored, want 1", len(got))
	}
	drain(t, s)
	for _, id := range []string{"42", "43"} {
		got := ingestAt(t, s, at(time.Hour), msg(id, "t2", "bob"))
		if len(got) != 1 {
			t.Errorf("a buyer message numbered %s like an earlier reply: %d stored, want 1", id, len(got))
		}
	}
	again := ingestAt(t, s, at(2*time.Hour),
		msg("42", "t1", "shop", func(m *sdk.Message) { m.Direction = sdk.Outbound }), polled, msg("42", "t2", "bob"))
	if len(again) != 0 {
		t.Errorf("the hub's reply polled back, the outbound message and the buyer message delivered again: %d stored, want none", len(again))
	}
	if ext, ok, err := s.AgentReply(ctx(t), "manual/k1"); err != nil || !ok || ext != "42" {
		t.Errorf("AgentReply = %q, %t, %v; want the vendor's id 42", ext, ok, err)
	}
}

// Messages whose ids differ only in spaces or line breaks are distinct
// messages, and keep distinct de-duplication ids in the queue, which trims
// a header's value and turns its line breaks into spaces.
func testIngestDedupIDs(t *testing.T, s store.Store) {
	got := ingestAt(t, s, t0, msg("4711", "t", "a"), msg("4711 ", "t", "a"), msg("47\n11", "t", "a"), msg("47 11", "t", "a"))
	if len(got) != 4 {
		t.Fatalf("stored %d of 4 messages with distinct ids", len(got))
	}
	seen := map[string]bool{}
	for _, r := range drain(t, s) {
		if strings.TrimSpace(r.DedupID) != r.DedupID || strings.ContainsAny(r.DedupID, " \r\n") || seen[r.DedupID] {
			t.Errorf("de-duplication id %q: not distinct, or holds what the queue would change", r.DedupID)
		}
		seen[r.DedupID] = true
	}
	if len(seen) != 4 {
		t.Errorf("%d distinct de-duplication ids, want 4", len(seen))
	}
}

// Text that PostgreSQL cannot hold as text (NUL bytes, invalid UTF-8) must
// not make a message unstorable: its connector's cursor would never move.
func testIngestUnusualText(t *testing.T, s store.Store) {
	m := msg("id\x00with-nul", "thread-\xff", "who\x00", func(m *sdk.Message) {
		m.Text = "a\x00b"
		m.Subject = "bad \xc3\x28 utf-8"
		m.Sender.Name = "N\x00"
		m.Channel = "disc\xffussions"
	})
	in := one(t, s, m, t0)
	got := inbound(t, s, in.MessageID)
	if got.Message.Text != "a\x00b" {
		t.Errorf("text %q, want %q kept", got.Message.Text, "a\x00b")
	}
	if again := ingestAt(t, s, t0, m); len(again) != 0 {
		t.Errorf("redelivered message with unusual text stored again")
	}
	if in2 := one(t, s, msg("other", "thread-\xff", "who\x00"), t0); in2.ThreadID != in.ThreadID || in2.ContactID != in.ContactID {
		t.Errorf("unusual thread id or sender id did not map to the same thread and contact")
	}
}

func testInboundNotFound(t *testing.T, s store.Store) {
	got, err := s.Inbounds(ctx(t), []string{"01JNOTSTORED0000000000000"})
	must(t, "Inbounds of an unknown message", err)
	if len(got) != 1 || got[0] != nil {
		t.Errorf("Inbounds of an unknown message = %v, want one nil", got)
	}
	_, _, err = s.Thread(ctx(t), "01JNOTSTORED0000000000000")
	wantErr(t, "Thread of an unknown thread", err, store.ErrNotFound)
	_, err = s.Explanation(ctx(t), "01JNOTSTORED0000000000000")
	wantErr(t, "Explanation of an unknown message", err, store.ErrNotFound)
}

// Inbounds loads a batch in the order asked, each message with its own
// thread and contact, whatever the batch's size and repeats.
func testInboundBatch(t *testing.T, s store.Store) {
	var stored []store.Ingested
	for i, m := range []sdk.Message{msg("b1", "t1", "anna"), msg("b2", "t2", "bob"), msg("b3", "t1", "anna")} {
		stored = append(stored, one(t, s, m, at(time.Duration(i)*time.Minute)))
	}
	const unknown = "01JNOTSTORED0000000000000"
	ids := []string{stored[2].MessageID, unknown, stored[0].MessageID, stored[1].MessageID, stored[0].MessageID}
	got, err := s.Inbounds(ctx(t), ids)
	must(t, "Inbounds", err)
	if len(got) != len(ids) {
		t.Fatalf("Inbounds returned %d, want %d", len(got), len(ids))
	}
	want := map[string]store.Ingested{}
	for _, in := range stored {
		want[in.MessageID] = in
	}
	for i, id := range ids {
		in := got[i]
		if id == unknown {
			if in != nil {
				t.Errorf("Inbounds[%d] of an unknown message = %+v, want nil", i, in)
			}
			continue
		}
		w := want[id]
		switch {
		case in == nil:
			t.Errorf("Inbounds[%d] = nil, want message %s", i, id)
		case in.Message.ID != id || in.Thread.ID != w.ThreadID || in.Contact.ID != w.ContactID:
			t.Errorf("Inbounds[%d] = message %s, thread %s, contact %s; want %s, %s, %s", i, in.Message.ID, in.Thread.ID, in.Contact.ID, id, w.ThreadID, w.ContactID)
		}
	}
	if got[0].Contact.Name != "Buyer anna" || got[0].Contact.Messages != 2 || got[0].Thread.Messages != 2 || got[3].Thread.Messages != 1 {
		t.Errorf("contact %+v, threads with %d and %d messages; want Buyer anna with 2, threads with 2 and 1",
			got[0].Contact, got[0].Thread.Messages, got[3].Thread.Messages)
	}
	if !got[2].ReceivedAt.Equal(t0) || got[2].Message.Text != "Hello from anna" {
		t.Errorf("message %s received %s with text %q", got[2].Message.ID, got[2].ReceivedAt, got[2].Message.Text)
	}
}
