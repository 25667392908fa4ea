package storetest

import (
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/sdk"
)

var queryTests = []test{
	{"Stats/RowsWritten", testRowsWritten},
	{"Outbox/OrderAndPublish", testOutbox},
	{"RecordAgentReply", testRecordAgentReply},
	{"Threads/Filters", testThreadsFilters},
	{"PluginState", testPluginState},
	{"WorkflowOverrides", testWorkflowOverrides},
}

func testOutbox(t *testing.T, s store.Store) {
	a := one(t, s, msg("e1", "t1", "anna"), t0)
	p := planned(a.MessageID, "w", "now", t0)
	plan(t, s, a.MessageID, t0.Add(-time.Second), p)
	release(t, s, t0, 10)
	b := one(t, s, msg("e2", "t2", "bob"), at(time.Minute))
	rows, err := s.Outbox(ctx(t), 2)
	must(t, "Outbox", err)
	diff(t, "the oldest two", []string{
		"messages allegro/shop_pl/e1 " + a.MessageID,
		"steps " + p.Key + "/1 " + p.Key,
	}, outboxOf(rows))
	if rows[0].ID >= rows[1].ID {
		t.Errorf("outbox ids %d, %d do not grow", rows[0].ID, rows[1].ID)
	}
	if st := stats(t, s); st.Outbox != 3 {
		t.Errorf("Stats.Outbox = %d, want 3", st.Outbox)
	}
	// Published twice (a publisher that repeats itself), and with ids that
	// never existed: harmless.
	ids := []int64{rows[0].ID, rows[1].ID}
	must(t, "Published", s.Published(ctx(t), ids))
	must(t, "Published again", s.Published(ctx(t), append(ids, 1<<40)))
	must(t, "Published nothing", s.Published(ctx(t), nil))
	diff(t, "what is left", []string{"messages allegro/shop_pl/e2 " + b.MessageID}, outboxOf(drain(t, s)))
	if rows := drain(t, s); len(rows) != 0 {
		t.Errorf("outbox not empty after publishing: %v", outboxOf(rows))
	}
	// Ids keep growing after rows are deleted: the order holds.
	c := one(t, s, msg("e3", "t3", "carl"), at(2*time.Minute))
	rows = drain(t, s)
	if len(rows) != 1 || rows[0].ID <= ids[1] || string(rows[0].Payload) != c.MessageID {
		t.Errorf("row after deletions: %+v", rows)
	}
}

func testRecordAgentReply(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	reply := sdk.Message{ExternalID: "agent-1", Text: "We will refund you.", Sender: sdk.Party{Name: "Ola"}}
	first := at(30 * time.Minute)
	for range 2 { // a redelivered record is harmless
		must(t, "RecordAgentReply", s.RecordAgentReply(ctx(t), in.ThreadID, "", reply, first))
	}
	th, msgs := thread(t, s, in.ThreadID)
	if len(msgs) != 2 {
		t.Fatalf("thread holds %d messages, want the question and the reply", len(msgs))
	}
	got := msgs[1]
	want := sdk.Message{ID: got.ID, ExternalID: "agent-1", Connector: connector, Account: account, Channel: "discussions", Thread: "t1",
		Direction: sdk.Outbound, Sender: sdk.Party{Name: "Ola"}, Text: reply.Text, SentAt: first}
	diff(t, "stored agent reply", want, got)
	if !th.FirstResponseAt.Equal(first) || !th.LastHumanReplyAt.Equal(first) || th.Messages != 1 || th.AutoReplies != 0 {
		t.Errorf("thread: first response %s, last human reply %s, %d buyer messages, %d auto replies", th.FirstResponseAt, th.LastHumanReplyAt, th.Messages, th.AutoReplies)
	}
	second := at(2 * time.Hour)
	must(t, "RecordAgentReply", s.RecordAgentReply(ctx(t), in.ThreadID, "manual/key-2", sdk.Message{ExternalID: "agent-2", Text: "Done."}, second))
	got2 := inbound(t, s, in.MessageID)
	if !got2.Thread.FirstResponseAt.Equal(first) || !got2.Thread.LastHumanReplyAt.Equal(second) {
		t.Errorf("after a second reply: first response %s, last %s; want %s, %s", got2.Thread.FirstResponseAt, got2.Thread.LastHumanReplyAt, first, second)
	}
	// A reply sent by the hub is found by its idempotency key, and stored once.
	if ext, found, err := s.AgentReply(ctx(t), "manual/key-2"); err != nil || !found || ext != "agent-2" {
		t.Errorf("AgentReply by key = %q, %t, %v; want agent-2", ext, found, err)
	}
	if _, found, err := s.AgentReply(ctx(t), "manual/never"); err != nil || found {
		t.Errorf("AgentReply of an unknown key = %t, %v", found, err)
	}
	must(t, "RecordAgentReply again", s.RecordAgentReply(ctx(t), in.ThreadID, "manual/key-2", sdk.Message{Text: "Done."}, second))
	if _, msgs := thread(t, s, in.ThreadID); countText(msgs, "Done.") != 1 {
		t.Errorf("a reply recorded twice with one key is stored %d times", countText(msgs, "Done."))
	}
	err := s.RecordAgentReply(ctx(t), "01JNOTSTORED0000000000000", "", reply, first)
	wantErr(t, "RecordAgentReply to an unknown thread", err, store.ErrNotFound)
	if rows := drain(t, s); len(rows) != 1 {
		t.Errorf("agent replies were queued for evaluation: %v", outboxOf(rows))
	}
}

func testThreadsFilters(t *testing.T, s store.Store) {
	var ids []string
	for i, spec := range []struct{ conn, acct, thread string }{
		{"allegro", "shop_pl", "a"}, {"allegro", "shop_cz", "b"}, {"ebay", "shop", "c"}, {"allegro", "shop_pl", "d"},
	} {
		got, err := s.Ingest(ctx(t), store.IngestBatch{Connector: spec.conn, Account: spec.acct, ReceivedAt: at(time.Duration(i) * time.Minute),
			Messages: []sdk.Message{msg("m-"+spec.thread, spec.thread, "anna")}})
		must(t, "Ingest", err)
		ids = append(ids, got[0].ThreadID)
	}
	// Thread a: tagged and closed; thread d: answered by a person.
	in := inbound(t, s, firstMessage(t, s, ids[0]))
	p := planned(in.Message.ID, "w", "tag", t0)
	plan(t, s, in.Message.ID, t0, p) // begun at once
	must(t, "Finish", s.Finish(ctx(t), p.Key, 1, store.Result{Kind: store.ResultApplied, At: t0, Tags: []string{"vip", "refund"}, Status: "closed"}))
	must(t, "RecordAgentReply", s.RecordAgentReply(ctx(t), ids[3], "", sdk.Message{ExternalID: "r"}, at(time.Hour)))

	cases := []struct {
		name string
		f    store.ThreadFilter
		want []string
	}{
		{"all, newest first", store.ThreadFilter{}, []string{ids[3], ids[2], ids[1], ids[0]}},
		{"connector", store.ThreadFilter{Connector: "allegro"}, []string{ids[3], ids[1], ids[0]}},
		{"account", store.ThreadFilter{Connector: "allegro", Account: "shop_pl"}, []string{ids[3], ids[0]}},
		{"status", store.ThreadFilter{Status: "closed"}, []string{ids[0]}},
		{"tag", store.ThreadFilter{Tag: "refund"}, []string{ids[0]}},
		{"tag no thread has", store.ThreadFilter{Tag: "ref"}, nil},
		{"unanswered", store.ThreadFilter{Unanswered: true}, []string{ids[2], ids[1], ids[0]}},
		{"limit", store.ThreadFilter{Limit: 2}, []string{ids[3], ids[2]}},
		{"page after the first two", store.ThreadFilter{Limit: 2, Before: ids[2]}, []string{ids[1], ids[0]}},
	}
	for _, c := range cases {
		got, err := s.Threads(ctx(t), c.f)
		must(t, "Threads", err)
		var gotIDs []string
		for _, th := range got {
			gotIDs = append(gotIDs, th.ID)
		}
		diff(t, c.name, c.want, gotIDs)
	}
	got, err := s.Threads(ctx(t), store.ThreadFilter{Tag: "vip"})
	must(t, "Threads", err)
	if len(got) != 1 || got[0].Connector != "allegro" || got[0].Account != "shop_pl" || got[0].Channel != "discussions" || got[0].ContactID == "" ||
		got[0].Messages != 1 || got[0].ExternalID != "a" {
		t.Errorf("thread as listed: %+v", got)
	}
}

// firstMessage returns the id of a thread's first message.
func firstMessage(t *testing.T, s store.Store, threadID string) string {
	t.Helper()
	th, _ := thread(t, s, threadID)
	return th.FirstMessageID
}

func testPluginState(t *testing.T, s store.Store) {
	a := s.PluginState(sdk.KindConnector, "allegro", "shop_pl")
	b := s.PluginState(sdk.KindConnector, "allegro", "shop_cz")
	c := s.PluginState(sdk.KindAction, "allegro", "shop_pl")
	get := func(st store.PluginValues, key string) (string, bool) {
		t.Helper()
		v, ok, err := st.Get(ctx(t), key)
		must(t, "Get", err)
		return string(v), ok
	}
	if _, ok := get(a, "refresh_token"); ok {
		t.Fatal("Get of a key never put: found")
	}
	must(t, "Put", a.Put(ctx(t), "refresh_token", []byte("r1")))
	must(t, "Put", a.Put(ctx(t), "refresh_token", []byte("r2"))) // rotated
	must(t, "Put", b.Put(ctx(t), "refresh_token", []byte("other")))
	must(t, "Put", a.Put(ctx(t), "empty", nil))
	if v, ok := get(a, "refresh_token"); !ok || v != "r2" {
		t.Errorf("Get = %q, %t; want the rotated token", v, ok)
	}
	if v, ok := get(b, "refresh_token"); !ok || v != "other" {
		t.Errorf("another instance's state: %q, %t", v, ok)
	}
	if _, ok := get(c, "refresh_token"); ok {
		t.Error("an action with the same name sees a connector's state")
	}
	if v, ok := get(a, "empty"); !ok || v != "" {
		t.Errorf("empty value: %q, %t; want found and empty", v, ok)
	}
	must(t, "Delete", a.Delete(ctx(t), "refresh_token"))
	must(t, "Delete of a missing key", a.Delete(ctx(t), "refresh_token"))
	if _, ok := get(a, "refresh_token"); ok {
		t.Error("Get after Delete: found")
	}
	if v, ok := get(b, "refresh_token"); !ok || v != "other" {
		t.Error("Delete reached another instance")
	}
}

func testWorkflowOverrides(t *testing.T, s store.Store) {
	got, err := s.WorkflowOverrides(ctx(t))
	must(t, "WorkflowOverrides", err)
	if len(got) != 0 {
		t.Errorf("overrides of a new store: %v", got)
	}
	must(t, "SetWorkflowEnabled", s.SetWorkflowEnabled(ctx(t), "after_hours", false))
	must(t, "SetWorkflowEnabled", s.SetWorkflowEnabled(ctx(t), "weekend", true))
	must(t, "SetWorkflowEnabled", s.SetWorkflowEnabled(ctx(t), "weekend", false))
	got, err = s.WorkflowOverrides(ctx(t))
	must(t, "WorkflowOverrides", err)
	diff(t, "overrides", map[string]bool{"after_hours": false, "weekend": false}, got)
}

func countText(msgs []sdk.Message, text string) int {
	n := 0
	for _, m := range msgs {
		if m.Text == text {
			n++
		}
	}
	return n
}

// testRowsWritten counts a new message's rows (the message, its thread,
// contact and identity, an outbox row, a pending evaluation), and none for
// a repeat of it.
func testRowsWritten(t *testing.T, s store.Store) {
	counts := func() (rows, statements int64) {
		st, err := s.Stats(ctx(t))
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		return st.RowsWritten, st.WriteStatements
	}
	rows0, stmts0 := counts()
	one(t, s, msg("rw-1", "rw-t", "anna"), t0)
	rows1, stmts1 := counts()
	if n := rows1 - rows0; n < 5 {
		t.Errorf("a new message wrote %d rows; want at least 5", n)
	}
	if n := stmts1 - stmts0; n < 5 {
		t.Errorf("a new message took %d statements; want at least one per table written", n)
	}
	ingestAt(t, s, t0, msg("rw-1", "rw-t", "anna"))
	rows2, stmts2 := counts()
	if n := rows2 - rows1; n != 0 {
		t.Errorf("a repeated message wrote %d rows; want none", n)
	}
	if stmts2 == stmts1 {
		t.Error("a repeated message took no statement; want the look-up that finds it stored")
	}
}
