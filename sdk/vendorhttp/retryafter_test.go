package vendorhttp_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
		{"tomorrow", 0, false},
		{"1.5", 0, false},
		{"86400", 24 * time.Hour, true},
		{"86401", vendorhttp.MaxRetryAfter, true},
		{"99999999999999", vendorhttp.MaxRetryAfter, true},
		{"999999999999999999999999", vendorhttp.MaxRetryAfter, true},
		{fixedClock.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{fixedClock.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute, true},
		{fixedClock.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{fixedClock.Add(72 * time.Hour).Format(http.TimeFormat), vendorhttp.MaxRetryAfter, true},
		{fixedClock.Add(time.Minute).Format(time.RFC850), time.Minute, true},
		{fixedClock.Add(time.Minute).Format(time.ANSIC), time.Minute, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got, ok := vendorhttp.RetryAfter(h, fixedClock); got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %s, %t; want %s, %t", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}
