package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/config"
)

// clockHandler moves serve's test clock: POST {"advance": "10m"} or
// {"set": "2026-11-20T19:10:00+01:00"}. It exists only under
// SWITCHBOARD_TEST_CLOCK.
func clockHandler(f *clock.Fake) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Advance string `json:"advance"`
			Set     string `json:"set"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `send {"advance": "10m"} or {"set": "<RFC 3339>"}`, http.StatusBadRequest)
			return
		}
		switch {
		case req.Advance != "":
			d, err := config.ParseDuration(req.Advance)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.Advance(d)
		case req.Set != "":
			t, err := time.Parse(time.RFC3339, req.Set)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.Set(t)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"now": f.Now().Format(time.RFC3339Nano)})
	})
}
