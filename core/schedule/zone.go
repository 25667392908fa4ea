package schedule

import (
	"sync/atomic"
	"time"
)

// The schedule reasons on a "wall" timeline: seconds since 1970-01-01
// 00:00 as read on the clocks of the schedule's zone, so that a day is
// always 86400 wall seconds and a range is plain arithmetic. zoneChunk maps
// instants to that timeline and back without calling into package time on
// the hot path; it covers 2^25 s (about 388 days) of instants, plus a margin
// of two days on each side so that a lookup never needs a neighbour.
const (
	zoneChunkShift = 25
	zoneMargin     = 2 * secondsPerDay
)

// transition is a change of UTC offset at instant at (Unix seconds).
type transition struct {
	at            int64
	before, after int32 // UTC offsets in seconds
}

type zoneChunk struct {
	lo, hi   int64 // instants covered, [lo, hi)
	startOff int32 // offset in force at lo
	trans    []transition
}

func newZoneChunk(loc *time.Location, lo, hi int64) *zoneChunk {
	t := time.Unix(lo, 0).In(loc)
	_, off := t.Zone()
	z := &zoneChunk{lo: lo, hi: hi, startOff: int32(off)}
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.After(t) || end.Unix() >= hi {
			return z
		}
		_, next := end.Zone()
		if next != off { // a new abbreviation alone changes nothing here
			z.trans = append(z.trans, transition{at: end.Unix(), before: int32(off), after: int32(next)})
		}
		off, t = next, end
	}
}

// offset is the zone's UTC offset at instant u.
func (z *zoneChunk) offset(u int64) int64 {
	off := z.startOff
	for _, tr := range z.trans {
		if tr.at > u {
			break
		}
		off = tr.after
	}
	return int64(off)
}

// wall is the schedule's notion of the local time at instant u: the local
// clock reading, except while the clocks repeat an hour after falling back.
// Then it stays just before the moment the clocks went back (02:59:59 in
// Europe), as if the clock had stood still. That makes wall never go
// backwards, so each range is one unbroken stretch of time: boundaries in
// the repeated hour take effect on its first pass, and a range that
// contains 02:59:59 stays open through the repeat.
func (z *zoneChunk) wall(u int64) int64 {
	var last *transition
	for i := range z.trans {
		if z.trans[i].at > u {
			break
		}
		last = &z.trans[i]
	}
	if last == nil {
		return u + int64(z.startOff)
	}
	if back := int64(last.before - last.after); back > 0 && u < last.at+back {
		return last.at + int64(last.before) - 1
	}
	return u + int64(last.after)
}

// instant is the first instant whose wall time is w or later: the exact
// moment a boundary at wall time w takes effect. In the hour skipped when
// clocks go forward that is the moment of the jump; in the repeated hour it
// is the first pass. w must lie in the chunk's own 2^25 s.
func (z *zoneChunk) instant(w int64) int64 {
	segStart, off := z.lo, int64(z.startOff)
	for i := 0; ; i++ {
		segEnd := z.hi
		if i < len(z.trans) {
			segEnd = z.trans[i].at
		}
		if w <= segStart+off { // the clocks jumped over w at segStart
			return segStart
		}
		if w-off < segEnd || i == len(z.trans) {
			return w - off
		}
		tr := z.trans[i]
		segStart, off = tr.at, int64(tr.after)
		if back := int64(tr.before - tr.after); back > 0 {
			segStart += back // wall stands still during the repeat
		}
	}
}

// chunkCache is a lazily filled, copy-on-write map: readers take no lock
// and allocate nothing; writers hold Schedule.mu.
type chunkCache[T any] struct {
	m atomic.Pointer[map[int64]T]
}

func (c *chunkCache[T]) get(k int64) (T, bool) {
	var zero T
	p := c.m.Load()
	if p == nil {
		return zero, false
	}
	v, ok := (*p)[k]
	return v, ok
}

func (c *chunkCache[T]) put(k int64, v T) {
	var n map[int64]T
	if p := c.m.Load(); p != nil {
		n = make(map[int64]T, len(*p)+1)
		for key, val := range *p {
			n[key] = val
		}
	} else {
		n = make(map[int64]T, 1)
	}
	n[k] = v
	c.m.Store(&n)
}

func (s *Schedule) zoneChunk(k int64) *zoneChunk {
	if z, ok := s.zones.get(k); ok {
		return z
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if z, ok := s.zones.get(k); ok {
		return z
	}
	z := newZoneChunk(s.loc, k<<zoneChunkShift-zoneMargin, (k+1)<<zoneChunkShift+zoneMargin)
	s.zones.put(k, z)
	return z
}

// wall and instant convert between instants and the wall timeline; see
// zoneChunk.
func (s *Schedule) wall(u int64) int64    { return s.zoneChunk(u >> zoneChunkShift).wall(u) }
func (s *Schedule) instant(w int64) int64 { return s.zoneChunk(w >> zoneChunkShift).instant(w) }

// localDay is the local calendar day (days since 1970-01-01) at instant u.
func (s *Schedule) localDay(u int64) int64 {
	return floorDiv(u+s.zoneChunk(u>>zoneChunkShift).offset(u), secondsPerDay)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// weekdayOf is the weekday of a day counted from 1970-01-01, a Thursday.
func weekdayOf(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + 4) % 7)
}
