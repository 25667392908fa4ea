package hub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/sdk"
)

// plugins are the running plugin instances of one configuration, with the
// batchers that gather their Send and Execute calls.
type plugins struct {
	connectors map[string]*pluginhost.Connector // by "type/account"
	actions    map[string]*pluginhost.Action    // by "type/name"
	senders    map[string]*batcher[sdk.SendItem, sdk.SendResult]
	executors  map[string]*batcher[sdk.ExecuteItem, sdk.ExecuteResult]

	// holds counts the callers between use and done, and has retiredBit
	// set once the plugins are retired (a reload replaced them, or the hub
	// stops): they stop when both say so, so that no call is cut short.
	holds   atomic.Int64
	stop    sync.Once
	stopped chan struct{} // closed once they have stopped
}

const retiredBit = 1 << 62

// use holds the plugins for calls until done; it reports false once they
// are retired.
func (p *plugins) use() bool {
	for {
		v := p.holds.Load()
		if v&retiredBit != 0 {
			return false
		}
		if p.holds.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// done releases a hold; the last one on retired plugins stops them, beside
// the caller, which is finishing its own work.
func (p *plugins) done() {
	if p.holds.Add(-1) == retiredBit {
		go p.shutdown()
	}
}

// retire takes no more holds, and stops the plugins once no call holds
// them; stopped tells when.
func (p *plugins) retire() {
	if p.holds.Or(retiredBit) == 0 {
		p.shutdown()
	}
}

func (p *plugins) shutdown() {
	p.stop.Do(func() {
		p.close()
		close(p.stopped)
	})
}

// A plugin gets batches of at most maxBatch items, at most batchesInFlight
// at a time.
const (
	maxBatch        = 100
	batchesInFlight = 2
)

func connectorKey(typ, account string) string { return typ + "/" + account }

// stateFor gives a plugin instance its durable state.
type stateFor func(kind sdk.Kind, name, instance string) sdk.State

// startPlugins starts and configures every connector and action of cfg.
// Nothing is left running when one fails: invalid configuration never
// half-starts.
func startPlugins(ctx context.Context, cfg *config.Config, dir string, state stateFor, opts pluginhost.Options) (*plugins, error) {
	p := &plugins{connectors: map[string]*pluginhost.Connector{}, actions: map[string]*pluginhost.Action{},
		senders: map[string]*batcher[sdk.SendItem, sdk.SendResult]{}, executors: map[string]*batcher[sdk.ExecuteItem, sdk.ExecuteResult]{},
		stopped: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			p.close()
		}
	}()
	for _, c := range cfg.Connectors {
		spec, err := specFor(cfg, dir, sdk.KindConnector, c.Type, c.Name)
		if err != nil {
			return nil, err
		}
		inst, err := pluginhost.StartConnector(spec, opts)
		if err != nil {
			return nil, err
		}
		p.connectors[connectorKey(c.Type, c.Name)] = inst
		p.senders[connectorKey(c.Type, c.Name)] = newBatcher(maxBatch, batchesInFlight, inst.Send)
		diags, err := inst.Configure(ctx, sdk.ConfigureRequest{Instance: c.Name, Config: c.Config, State: state(sdk.KindConnector, c.Type, c.Name)})
		if err := configured(opts.Logger, spec, c.Body, diags, err); err != nil {
			return nil, err
		}
	}
	for _, a := range cfg.Actions {
		spec, err := specFor(cfg, dir, sdk.KindAction, a.Type, a.Name)
		if err != nil {
			return nil, err
		}
		inst, err := pluginhost.StartAction(spec, opts)
		if err != nil {
			return nil, err
		}
		p.actions[a.Type+"/"+a.Name] = inst
		p.executors[a.Type+"/"+a.Name] = newBatcher(maxBatch, batchesInFlight, inst.Execute)
		diags, err := inst.Configure(ctx, sdk.ConfigureRequest{Instance: a.Name, Config: a.Config, State: state(sdk.KindAction, a.Type, a.Name)})
		if err := configured(opts.Logger, spec, a.Body, diags, err); err != nil {
			return nil, err
		}
	}
	ok = true
	return p, nil
}

func specFor(cfg *config.Config, dir string, kind sdk.Kind, typ, instance string) (pluginhost.Spec, error) {
	spec := pluginhost.Spec{Kind: kind, Name: typ, Instance: instance, SHA256: cfg.PinnedSHA256(kind, typ)}
	if pb := cfg.Plugin(kind, typ); pb != nil {
		spec.Path, spec.Env = pb.Path, pb.Env
	}
	if spec.Path == "" {
		path, err := pluginhost.Find(dir, kind, typ)
		if err != nil {
			return spec, err
		}
		spec.Path = path
	}
	return spec, nil
}

// configured reads a plugin's answer to its configuration: a rejection
// becomes an error, and warnings (such as a webhook without a secret) are
// logged; both point at the user's file and line.
func configured(log hclog.Logger, spec pluginhost.Spec, body hcl.Body, diags sdk.Diagnostics, err error) error {
	if err != nil {
		return fmt.Errorf("%s: configure: %w", spec, err)
	}
	var msgs []string
	for _, d := range pluginconfig.Diagnostics(body, diags) {
		switch d.Severity {
		case hcl.DiagError:
			msgs = append(msgs, d.Error())
		case hcl.DiagWarning:
			log.Warn("plugin configuration warning", "plugin", spec.String(), "warning", d.Error())
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%s rejects its configuration: %s", spec, strings.Join(msgs, "; "))
	}
	return nil
}

func (p *plugins) connector(typ, account string) (*pluginhost.Connector, bool) {
	c, ok := p.connectors[connectorKey(typ, account)]
	return c, ok
}

func (p *plugins) close() {
	for _, c := range p.connectors {
		c.Close()
	}
	for _, a := range p.actions {
		a.Close()
	}
}
