package store

import (
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
)

// Times are stored as Unix nanoseconds (UTC) in 64-bit integer columns: the
// same in both dialects, exact on a round trip, ordered by plain integer
// comparison and indexable. A zero time.Time is stored as NULL.

// stamp encodes t for a time column.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// nanos is a nullable time column read back.
type nanos struct{ sql.NullInt64 }

// Time decodes the column (zero when NULL), in UTC.
func (n nanos) Time() time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// fromNanos decodes a NOT NULL time column.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// nullText stores "" as NULL, for columns where empty means unknown and
// must not take part in a unique key.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// clean makes s storable in a text column of either database: PostgreSQL
// refuses NUL bytes and invalid UTF-8, and a message must never be refused
// for its content (it would block its connector's cursor for good). The
// message's JSON copy keeps the original text.
func clean(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// nonNil keeps an empty value from being stored as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ids makes ULIDs whose time part is the injected time of the event, so that
// ids sort like the events under a virtual clock as under the real one, and
// ids made in one millisecond sort in the order they were made.
type ids struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

func newIDs() *ids { return &ids{entropy: ulid.Monotonic(rand.Reader, 0)} }

// at returns a new id for an event at t (the wall clock when t cannot be
// encoded, such as the zero time).
func (g *ids) at(t time.Time) string {
	if t.Before(time.Unix(0, 0)) || t.After(ulid.Time(ulid.MaxTime())) {
		t = time.Now()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	id, err := ulid.New(ulid.Timestamp(t), g.entropy)
	if err != nil {
		// The monotonic entropy overflows only after 2^80 ids in one
		// millisecond; fall back to fresh randomness rather than fail.
		id = ulid.MustNew(ulid.Timestamp(t), rand.Reader)
	}
	return id.String()
}

// tagsJSON encodes a thread's tags (never null, so that JSON functions see
// an array).
func tagsJSON(tags []string) string {
	if tags == nil {
		tags = []string{}
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

func parseTags(s string) ([]string, error) {
	var tags []string
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &tags); err != nil {
		return nil, fmt.Errorf("tags %q: %w", s, err)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}
