package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchboard-hub/switchboard/core/api"
	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/hub"
	"github.com/switchboard-hub/switchboard/core/language"
	"github.com/switchboard-hub/switchboard/core/queue"
	"github.com/switchboard-hub/switchboard/core/store"
)

const serveUsage = `Usage: switchboard serve -config DIR [-data DIR] [-listen ADDR] [-plugin-dir DIR] [-log-level LEVEL]

Runs the hub: connectors poll and receive webhooks at /hooks/<connector>/<account>,
workflows answer, and the HTTP API (docs/openapi.yaml), /healthz, /readyz and
/metrics are served. By default everything is embedded in the data directory:
SQLite (switchboard.db) and a NATS JetStream server without a port (jetstream/).
The hub block's database and nats_url settings point it at PostgreSQL and a
NATS cluster instead; database_schema and nats_stream keep several hubs
apart on one database and one cluster.

Signals: SIGHUP (or switchboard reload) validates the configuration again and
swaps it in, keeping the running one if it is invalid; a SIGHUP that comes
while the hub starts is remembered and applied, once, as soon as it runs.
The hub block's listen, database, database_schema, nats_url, nats_stream and
poll_interval are read only at start, and the log says when a reload changed
one. SIGTERM and SIGINT stop taking work in, let work in flight finish, and
stop the plugins.

Exit status: 0 after a clean stop, 1 on an error, 2 for a wrong command line
(an unknown flag, an argument without a flag, a -config that is not a
directory, a -data that is a file, a -listen that is not host:port, an
unknown -log-level).

`

// testClockEnv names the environment variable that runs serve on a virtual
// clock, for tests of delays: its value is the start time (RFC 3339), and
// POST /debug/clock {"advance": "10m"} moves it. Never set it in production.
const testClockEnv = "SWITCHBOARD_TEST_CLOCK"

func serveCmd(args []string, stdout, stderr io.Writer) error {
	// SIGHUP ends a process that does not handle it, and a service manager
	// may send one (systemctl reload) as soon as the process exists: catch
	// it before anything else. The channel holds one signal until the hub
	// runs, so that reloads asked for during the start become one reload.
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	defer signal.Stop(hups)

	fs := newFlags("serve", "serve -config DIR", stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), serveUsage); fs.PrintDefaults() }
	dir := fs.String("config", "", "configuration directory (required)")
	data := fs.String("data", "data", "data directory: the SQLite database (with plugin state), JetStream files, the lock and PID files")
	listen := fs.String("listen", "", "HTTP address; default: the hub block's listen, else 127.0.0.1:8080")
	pluginDir := fs.String("plugin-dir", defaultPluginDir(), "plugin directory")
	logLevel := fs.String("log-level", "info", "trace, debug, info, warn, error or off")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs, func(arg string) string { return "did you mean -config " + quoteArgs([]string{arg}) + "?" }); err != nil {
		return err
	}
	// A wrong value on the command line is found before anything starts,
	// and exits 2 like every wrong command line.
	if *dir == "" {
		return misuse(fs, "-config is required: the directory of the configuration's *.hcl files")
	}
	switch fi, err := os.Stat(*dir); {
	case err != nil:
		return misuse(fs, "-config %s: %v; give the directory of the configuration's *.hcl files", *dir, errors.Unwrap(err))
	case !fi.IsDir():
		return misuse(fs, "-config %s is a file; -config takes the directory of the configuration's *.hcl files: -config %s", *dir, filepath.Dir(*dir))
	}
	if fi, err := os.Stat(*data); err == nil && !fi.IsDir() {
		return misuse(fs, "-data %s is a file; -data takes a directory, which serve creates when missing", *data)
	}
	if *listen != "" {
		if err := config.CheckListen(*listen); err != nil {
			return misuse(fs, "-listen %s", err)
		}
	}
	level := hclog.LevelFromString(*logLevel)
	if level == hclog.NoLevel {
		return misuse(fs, "-log-level %q is not one of trace, debug, info, warn, error or off", *logLevel)
	}
	began := time.Now()
	logger := hclog.New(&hclog.LoggerOptions{Name: "switchboard", Level: level, Output: stderr})
	clk, fake, err := serveClock()
	if err != nil {
		return err
	}
	if fake != nil {
		logger.Warn("the hub runs on a test clock: POST /debug/clock moves it, without a token; unset "+testClockEnv+" in production", "start", fake.Now())
	}
	detector := language.New()
	cfg, err := loadForServe(*dir, *pluginDir, detector.Detect, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	unlock, err := lockDataDir(*data)
	if err != nil {
		return err
	}
	defer unlock()
	// The PID file goes with the lock: written as soon as this hub holds the
	// data directory, it replaces the one a killed hub left, so that reload
	// never signals a process id the system may have given to another
	// program, and a reload asked for during the start reaches this hub.
	pidFile := filepath.Join(*data, "switchboard.pid")
	if err := writePIDFile(pidFile); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	defer os.Remove(pidFile)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	dbURL := cfg.Hub.Database
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.Join(*data, "switchboard.db")
	}
	st, err := store.Open(ctx, dbURL, store.Options{Schema: cfg.Hub.DatabaseSchema, Logger: logger.Named("store")})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	qopts := queue.Options{URL: cfg.Hub.NATSURL, Stream: cfg.Hub.NATSStream, Subjects: []string{store.SubjectMessages, store.SubjectSteps}, Logger: logger.Named("queue")}
	if qopts.URL == "" {
		qopts.DataDir = *data // the embedded server's store; an external one keeps its own
	}
	q, err := queue.Open(ctx, qopts)
	if err != nil {
		return fmt.Errorf("open queue: %w", err)
	}
	defer q.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := hub.New(ctx, cfg, hub.Options{
		Store: st, Queue: hub.JetStream(q), PluginDir: *pluginDir, Clock: clk, Logger: logger,
		Registry: reg, Detect: detector.Detect, PollInterval: cfg.Hub.PollInterval,
	})
	if err != nil {
		return err
	}
	addr := *listen
	if addr == "" {
		addr = cfg.Hub.Listen
	}
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	mux := http.NewServeMux()
	// The API reads the tokens of the configuration in force, so that a
	// reload rotates them.
	tokens := func() []string { return h.Config().Hub.APITokens }
	metricsTokens := func() []string { return h.Config().Hub.MetricsTokens }
	mux.Handle("/", api.Handler(api.Options{Hub: h, Store: st, Tokens: tokens, MetricsTokens: metricsTokens, Registry: reg, Logger: logger.Named("api"),
		Now: clk.Now, Ready: func(ctx context.Context) error {
			if !q.Ready() {
				return errors.New("the queue is not connected")
			}
			if _, err := st.Stats(ctx); err != nil {
				return fmt.Errorf("the store does not answer: %w", err)
			}
			return nil
		}}))
	if fake != nil {
		mux.Handle("POST /debug/clock", clockHandler(fake))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()

	if len(hups) > 0 {
		logger.Info("a reload was asked for while the hub started; reloading now")
	}
	started := cfg.Hub // what the settings read only at start were
	go func() {
		for range hups {
			next, err := loadForServe(*dir, *pluginDir, detector.Detect, stderr)
			if err == nil {
				err = h.Reload(ctx, next)
			}
			if err != nil {
				logger.Error("reload refused; the running configuration stays", "error", err)
				continue
			}
			for _, c := range restartOnlyChanges(started, next.Hub, *listen != "") {
				c.warn(logger)
			}
		}
	}()
	fmt.Fprintf(stdout, "switchboard: serving on http://%s (ready in %s)\n", ln.Addr(), time.Since(began).Round(time.Millisecond))
	// Intake stops first: once told to stop, the server takes no new
	// request, and those in progress (webhooks being stored, manual
	// replies being sent) finish within 10 seconds, while the hub finishes
	// the work it has; it stops its plugins once those calls have ended.
	var stopHTTP sync.Once
	shutdownHTTP := func() {
		stopHTTP.Do(func() {
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		})
	}
	context.AfterFunc(ctx, shutdownHTTP)
	runErr := h.Run(ctx)
	shutdownHTTP() // or waits for it to finish
	logger.Info("stopped")
	return runErr
}

// loadForServe loads the configuration strictly: every env() must be set.
func loadForServe(dir, pluginDir string, detect func(string) string, stderr io.Writer) (*config.Config, error) {
	p := hclparse.NewParser()
	cfg, diags := config.Load(dir, config.Options{Parser: p, PluginDir: pluginDir, Detect: detect, Env: config.EnvLookup{Strict: true}})
	writeDiagnostics(stderr, p, diags)
	if diags.HasErrors() {
		errs, _ := countErrors(diags)
		return nil, fmt.Errorf("%s: %d error(s) in the configuration", dir, errs)
	}
	return cfg, nil
}

func serveClock() (clock.Clock, *clock.Fake, error) {
	start := os.Getenv(testClockEnv)
	if start == "" {
		return clock.Real{}, nil, nil
	}
	t, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return nil, nil, fmt.Errorf("%s=%q: want an RFC 3339 start time", testClockEnv, start)
	}
	f := clock.NewFake(t)
	return f, f, nil
}

// lockFileName is the file in the data directory that the running hub
// holds a lock on.
const lockFileName = "switchboard.lock"

// lockDataDir keeps a second hub from serving from the same data directory:
// two writers on one SQLite file and one JetStream store would corrupt
// both. The lock goes with the process, however it ends.
// writePIDFile writes this process's id whole or not at all (a temporary
// file renamed), so that reload never reads it half written.
func writePIDFile(path string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func lockDataDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// A second's patience: `switchboard reload` tries the lock for an
	// instant to see whether a hub holds it.
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	for deadline := time.Now().Add(time.Second); errors.Is(err, syscall.EWOULDBLOCK) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		f.Close()
		pid, _ := os.ReadFile(filepath.Join(dir, "switchboard.pid"))
		return nil, fmt.Errorf("another hub (process %s) is serving from %s; stop it, or give this one its own -data directory",
			strings.TrimSpace(string(pid)), dir)
	}
	return func() { f.Close() }, nil
}
