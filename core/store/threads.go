package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

const threadColumns = `id, connector, account, channel, external_id, contact_id, status, assignee, tags, messages,
    first_message_id, first_inbound_at, last_inbound_at, first_response_at, last_human_reply_at, last_auto_reply_at,
    auto_replies, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanThread(sc scanner) (*Thread, error) {
	var (
		th                                              Thread
		contact, first                                  sql.NullString
		tags                                            string
		firstIn, lastIn, firstResp, lastHuman, lastAuto nanos
		updated                                         int64
		messages, autoReplies                           int64
	)
	if err := sc.Scan(&th.ID, &th.Connector, &th.Account, &th.Channel, &th.ExternalID, &contact, &th.Status, &th.Assignee, &tags, &messages,
		&first, &firstIn, &lastIn, &firstResp, &lastHuman, &lastAuto, &autoReplies, &updated); err != nil {
		return nil, err
	}
	var err error
	if th.Tags, err = parseTags(tags); err != nil {
		return nil, fmt.Errorf("thread %s: %w", th.ID, err)
	}
	th.ContactID, th.FirstMessageID = contact.String, first.String
	th.Messages, th.AutoReplies = int(messages), int(autoReplies)
	th.FirstInboundAt, th.LastInboundAt, th.FirstResponseAt = firstIn.Time(), lastIn.Time(), firstResp.Time()
	th.LastHumanReplyAt, th.LastAutoReplyAt = lastHuman.Time(), lastAuto.Time()
	th.UpdatedAt = fromNanos(updated)
	return &th, nil
}

func loadThread(ctx context.Context, t *tx, id string) (*Thread, error) {
	th, err := scanThread(t.queryRow(ctx, "SELECT "+threadColumns+" FROM threads WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("thread %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load thread %s: %w", id, err)
	}
	return th, nil
}

func (s *sqlStore) Threads(ctx context.Context, f ThreadFilter) ([]Thread, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("store: list threads: limit %d is negative", f.Limit)
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg ...any) {
		where = append(where, cond)
		args = append(args, arg...)
	}
	if f.Connector != "" {
		add("connector = ?", f.Connector)
	}
	if f.Account != "" {
		add("account = ?", f.Account)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Tag != "" {
		add(s.d.hasTag("tags"), clean(f.Tag))
	}
	if f.Unanswered {
		add("last_inbound_at IS NOT NULL AND (last_human_reply_at IS NULL OR last_human_reply_at < last_inbound_at)")
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	q := "SELECT " + threadColumns + " FROM threads"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var out []Thread
	err := s.read(ctx, "list threads", func(t *tx) error {
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			th, err := scanThread(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *th)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) Thread(ctx context.Context, id string) (*Thread, []sdk.Message, error) {
	var (
		th   *Thread
		msgs []sdk.Message
	)
	err := s.read(ctx, "load thread "+id, func(t *tx) error {
		var err error
		if th, err = loadThread(ctx, t, id); err != nil {
			return err
		}
		rows, err := t.query(ctx, "SELECT id, body FROM messages WHERE thread_id = ? ORDER BY received_at, id", id)
		if err != nil {
			return fmt.Errorf("load messages: %w", err)
		}
		for rows.Next() {
			var (
				mid, body string
				m         sdk.Message
			)
			if err := rows.Scan(&mid, &body); err != nil {
				rows.Close()
				return fmt.Errorf("load messages: %w", err)
			}
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				rows.Close()
				return fmt.Errorf("decode message %s: %w", mid, err)
			}
			msgs = append(msgs, m)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, nil, err
	}
	return th, msgs, nil
}

func (s *sqlStore) RecordAgentReply(ctx context.Context, threadID, key string, m sdk.Message, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("store: record agent reply in thread %s: the reply has no time", threadID)
	}
	return s.write(ctx, "record agent reply in thread "+threadID, false, func(t *tx) error {
		var (
			th                   outboundThread
			firstResp, lastHuman nanos
		)
		err := t.queryRow(ctx, "SELECT id, connector, account, channel, external_id, first_response_at, last_human_reply_at FROM threads WHERE id = ?"+s.d.forUpdate(), threadID).
			Scan(&th.id, &th.connector, &th.account, &th.channel, &th.external, &firstResp, &lastHuman)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("thread %s: %w", threadID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock thread: %w", err)
		}
		if err := s.insertOutbound(ctx, t, th, m, "agent", key, at); err != nil {
			return err
		}
		_, err = t.exec(ctx, "UPDATE threads SET first_response_at = ?, last_human_reply_at = ?, updated_at = ? WHERE id = ?",
			stamp(earlier(firstResp.Time(), at)), stamp(later(lastHuman.Time(), at)), stamp(at), threadID)
		if err != nil {
			return fmt.Errorf("update thread: %w", err)
		}
		return nil
	})
}

// outboundThread is what an outbound message takes from its thread.
type outboundThread struct {
	id, connector, account, channel, external string
}

// insertOutbound stores a reply in its thread unless it is stored already:
// by its hub id, by the vendor's id, or (for a workflow's reply) by the
// step that sent it.
func (s *sqlStore) insertOutbound(ctx context.Context, t *tx, th outboundThread, m sdk.Message, origin, stepKey string, at time.Time) error {
	if m.ID == "" {
		m.ID = s.ids.at(at)
	}
	m.Connector, m.Account, m.Direction = th.connector, th.account, sdk.Outbound
	if m.Channel == "" {
		m.Channel = th.channel
	}
	if m.Thread == "" {
		m.Thread = th.external
	}
	if m.SentAt.IsZero() {
		m.SentAt = at
	}
	body, err := json.Marshal(&m)
	if err != nil {
		return fmt.Errorf("encode the reply: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO messages (id, connector, account, external_id, channel, thread_id, direction, origin, automatic,
    step_key, sent_at, received_at, body)
VALUES (?, ?, ?, ?, ?, ?, 'outbound', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ID, th.connector, th.account, nullText(outboundKey(m.ExternalID)), clean(m.Channel), th.id, origin, origin == "workflow",
		nullText(stepKey), stamp(m.SentAt), stamp(at), string(body))
	if err != nil {
		return fmt.Errorf("store the reply: %w", err)
	}
	return nil
}

func (s *sqlStore) AgentReply(ctx context.Context, key string) (string, bool, error) {
	if key == "" {
		return "", false, fmt.Errorf("store: agent reply: no key given")
	}
	var external sql.NullString
	err := s.read(ctx, "agent reply "+key, func(t *tx) error {
		return t.queryRow(ctx, "SELECT external_id FROM messages WHERE step_key = ? AND origin = 'agent'", key).Scan(&external)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimPrefix(external.String, outboundPrefix), true, nil
}

// outboundKey is the messageKey of a reply the hub sent, empty when the
// vendor returned no id.
func outboundKey(externalID string) string {
	if clean(externalID) == "" {
		return ""
	}
	return messageKey(sdk.Outbound, externalID)
}
