package pluginstate

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

func TestStateSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := Open(root).For(sdk.KindConnector, "allegro", "shop_pl")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, "refresh_token"); ok || err != nil {
		t.Fatalf("empty state: found=%v err=%v", ok, err)
	}
	for _, v := range []string{"first", "rotated"} {
		if err := s.Put(ctx, "refresh_token", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	// A new host process opens the same directory.
	again, _ := Open(root).For(sdk.KindConnector, "allegro", "shop_pl")
	got, ok, err := again.Get(ctx, "refresh_token")
	if err != nil || !ok || string(got) != "rotated" {
		t.Fatalf("after reopen: %q found=%v err=%v", got, ok, err)
	}
	other, _ := Open(root).For(sdk.KindConnector, "allegro", "shop_de")
	if _, ok, _ := other.Get(ctx, "refresh_token"); ok {
		t.Error("one instance sees another's state")
	}
	if err := again.Delete(ctx, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, "refresh_token"); ok {
		t.Error("deleted key still found")
	}
	if err := s.Delete(ctx, "never-set"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	entries, _ := os.ReadDir(root + "/connector.allegro.shop_pl")
	if len(entries) != 0 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestKeysAreNotPaths(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, _ := Open(root).For(sdk.KindAction, "http", "notify")
	if err := s.Put(ctx, "../../escape", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.Get(ctx, "../../escape"); !ok || string(v) != "x" {
		t.Errorf("odd key: %q %v", v, ok)
	}
	if _, err := os.Stat(root + "/../escape"); err == nil {
		t.Error("a key escaped the state directory")
	}
	if _, err := Open(root).For(sdk.KindAction, "http", "../x"); err == nil {
		t.Error("an unsafe instance name was accepted")
	}
}

// TestKeyLimits: a key the file system cannot name, or the empty key (whose
// file would be the instance's directory), fails as a permanent error that
// says why, instead of an unclassified one that the host retries for ever.
func TestKeyLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	longest := strings.Repeat("k", sdk.MaxStateKeyLen)
	tests := map[string]struct {
		key  string
		want string
	}{
		"empty":         {"", "state key is empty"},
		"one byte over": {longest + "k", "is 128 bytes, over the limit of 127"},
		"far over":      {strings.Repeat("k", 300), "is 300 bytes, over the limit of 127"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			s, _ := Open(root).For(sdk.KindConnector, "allegro", "shop_pl")
			if err := s.Put(ctx, "other", []byte("kept")); err != nil {
				t.Fatal(err)
			}
			_, _, getErr := s.Get(ctx, tt.key)
			calls := map[string]error{
				"Put":    s.Put(ctx, tt.key, []byte("v")),
				"Get":    getErr,
				"Delete": s.Delete(ctx, tt.key),
			}
			for op, err := range calls {
				switch {
				case err == nil:
					t.Errorf("%s accepted the key", op)
				case sdk.KindOf(err) != sdk.KindPermanent:
					t.Errorf("%s: error kind %s, want permanent: %v", op, sdk.KindOf(err), err)
				case !strings.Contains(err.Error(), tt.want):
					t.Errorf("%s: error %q does not say %q", op, err, tt.want)
				}
			}
			// Delete of the empty key once removed nothing but could have
			// removed the instance's directory; the other key must survive.
			if v, ok, err := s.Get(ctx, "other"); err != nil || !ok || string(v) != "kept" {
				t.Errorf("another key after the refused calls: %q found=%v err=%v", v, ok, err)
			}
			entries, _ := os.ReadDir(filepath.Join(root, "connector.allegro.shop_pl"))
			if len(entries) != 1 {
				t.Errorf("files in the instance directory: %v, want only the other key's", entries)
			}
		})
	}

	// The longest key still fits a file name.
	s, _ := Open(t.TempDir()).For(sdk.KindConnector, "allegro", "shop_pl")
	if err := s.Put(ctx, longest, []byte("v")); err != nil {
		t.Fatalf("Put of a %d-byte key: %v", len(longest), err)
	}
	if v, ok, err := s.Get(ctx, longest); err != nil || !ok || string(v) != "v" {
		t.Errorf("Get of a %d-byte key: %q found=%v err=%v", len(longest), v, ok, err)
	}
	if err := s.Delete(ctx, longest); err != nil {
		t.Errorf("Delete of a %d-byte key: %v", len(longest), err)
	}
}

// TestExistingFilesStayReadable pins the file names: a key's file is the hex
// of the key, as it has always been, so state written by an earlier host is
// found.
func TestExistingFilesStayReadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "action.http.notify")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	keys := []string{"refresh_token", "../../escape", strings.Repeat("ł", 63) + "k"}
	for _, k := range keys {
		if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString([]byte(k))), []byte("old "+k), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := Open(root).For(sdk.KindAction, "http", "notify")
	for _, k := range keys {
		if v, ok, err := s.Get(ctx, k); err != nil || !ok || string(v) != "old "+k {
			t.Errorf("Get(%q) of a file an earlier host wrote: %q found=%v err=%v", k, v, ok, err)
		}
	}
}
