package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func sendCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("send", "send [flags] TEXT", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: switchboard send [flags] TEXT

Injects a test buyer message into a running hub through a webhook connector
(connector "webhook" "<account>"), the way a vendor would: a JSON POST to
/hooks/webhook/<account>, signed with -secret when the connector checks
signatures. Prints the hub's answer.

`)
		fs.PrintDefaults()
	}
	url := fs.String("url", "http://127.0.0.1:8080", "the hub's address")
	account := fs.String("account", "demo", "the webhook connector's account name")
	thread := fs.String("thread", "", "thread id; default: a new one")
	from := fs.String("from", "buyer-1", "the sender's id")
	name := fs.String("name", "", "the sender's name")
	id := fs.String("id", "", "the message's external id; default: a new one (repeat one to test de-duplication)")
	secret := fs.String("secret", "", "the connector's secret, to sign the request")
	header := fs.String("signature-header", "X-Switchboard-Signature", "where the signature goes")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := flagsFirst(fs, args, "TEXT"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return misuse(fs, "TEXT is one argument (quote it); got %d", fs.NArg())
	}
	now := strconv.FormatInt(time.Now().UnixNano(), 36)
	if *id == "" {
		*id = "cli-" + now
	}
	if *thread == "" {
		*thread = "cli-thread-" + now
	}
	body, _ := json.Marshal(map[string]any{
		"id": *id, "thread": *thread, "text": fs.Arg(0),
		"from": map[string]string{"id": *from, "name": *name},
	})
	req, err := http.NewRequest(http.MethodPost, *url+"/hooks/webhook/"+*account, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if *secret != "" {
		req.Header.Set(*header, vendorhttp.Sign([]byte(*secret), body))
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("is the hub running at %s? %w", *url, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Fprintf(stdout, "%s %s\n", resp.Status, bytes.TrimSpace(answer))
	if resp.StatusCode >= 300 {
		return errSilent
	}
	return nil
}
