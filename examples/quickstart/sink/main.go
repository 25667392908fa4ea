// Command sink is the quickstart's stand-in for a shop system: it prints
// every reply the hub's webhook connector sends it, and answers 200.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:9090", "address to listen on")
	flag.Parse()
	http.HandleFunc("POST /replies", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var reply struct {
			Thread string `json:"thread"`
			Text   string `json:"text"`
		}
		_ = json.Unmarshal(body, &reply)
		fmt.Fprintf(os.Stdout, "sink: reply to thread %s (Idempotency-Key %s): %s\n", reply.Thread, r.Header.Get("Idempotency-Key"), reply.Text)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"` + r.Header.Get("Idempotency-Key") + `"}`))
	})
	log.Printf("sink: listening on http://%s/replies", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
