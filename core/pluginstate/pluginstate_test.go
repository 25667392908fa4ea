package pluginstate

import (
	"context"
	"os"
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
