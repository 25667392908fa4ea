package hub

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/sdk"
)

// CheckTimeout bounds a connector's check. It is shorter than a plugin
// call's deadline, so that a vendor that hangs fails the check instead of
// getting the plugin killed as hung, with the sends in it.
const CheckTimeout = 20 * time.Second

// checkConnectors asks every connector of g whether it can reach its vendor
// with its configuration (sdk.Connector.Check), once g runs: when the hub
// starts, and after each reload. What a connector finds wrong is logged at
// its block in the configuration, and switchboard_connector_check_ok says
// which passed. The hub runs on either way: a vendor that is down may come
// back, and its messages wait for it. ctx ends when the hub stops.
func (h *Hub) checkConnectors(ctx context.Context, g *generation) {
	if !g.plugins.use() {
		return // replaced and stopped already
	}
	defer g.plugins.done()
	passed := make([]bool, len(g.cfg.Connectors))
	var wg sync.WaitGroup
	for i, c := range g.cfg.Connectors {
		inst, ok := g.plugins.connector(c.Type, c.Name)
		if !ok {
			continue
		}
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, CheckTimeout)
			defer cancel()
			diags, err := inst.Check(cctx)
			if ctx.Err() != nil {
				return // the hub is stopping: nothing to report
			}
			if cctx.Err() != nil {
				err = fmt.Errorf("no answer within %s", CheckTimeout)
			}
			passed[i] = h.reportCheck(c, diags, err)
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	h.checkMu.Lock()
	defer h.checkMu.Unlock()
	if h.gen.Load().plugins != g.plugins {
		// A reload's own check reports its connectors. (An override
		// makes a new generation with the same plugins.)
		return
	}
	h.metrics.connectorCheck.Reset() // connectors a reload removed
	for i, c := range g.cfg.Connectors {
		v := 0.0
		if passed[i] {
			v = 1
		}
		h.metrics.connectorCheck.WithLabelValues(c.Type, c.Name).Set(v)
	}
}

// reportCheck logs a connector's answer to Check, at its block, and
// reports whether it passed: no error, and no diagnostic of severity error.
func (h *Hub) reportCheck(c *config.Connector, diags sdk.Diagnostics, err error) bool {
	log := h.log.With("connector", c.Type, "account", c.Name)
	if err != nil {
		log.Warn("connector check failed: the connector may not reach its vendor", "error", err)
		return false
	}
	ok := true
	for _, d := range pluginconfig.Diagnostics(c.Body, diags) {
		if d.Severity == hcl.DiagError {
			ok = false
			log.Warn("connector check failed: the connector may not reach its vendor", "error", d.Error())
		} else {
			log.Warn("connector check warning", "warning", d.Error())
		}
	}
	if ok {
		log.Info("connector check passed")
	}
	return ok
}
