package hub

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hub/switchboard/core/store"
)

// metrics are the hub's Prometheus series. They are registered on the
// hub's own registry, which /metrics serves.
type metrics struct {
	messagesIn  *prometheus.CounterVec
	messagesOut *prometheus.CounterVec
	// messagesRefused counts messages the store cannot take.
	messagesRefused *prometheus.CounterVec
	fires           *prometheus.CounterVec
	skips           *prometheus.CounterVec
	replyLatency    *prometheus.HistogramVec
	stepLatency     prometheus.Histogram
	deadLetters     *prometheus.CounterVec
	sendsInDoubt    *prometheus.CounterVec
	pluginRestart   *prometheus.CounterVec
	connectorCheck  *prometheus.GaugeVec
	// pruned counts what message_retention removed.
	pruned *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_in_total", Help: "Inbound messages stored, by connector and account.",
		}, []string{"connector", "account"}),
		messagesRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_refused_total", Help: "Messages left out because the store cannot take them (no id, or an id, thread, channel or sender identity over 1,024 bytes), by connector and account.",
		}, []string{"connector", "account"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_messages_out_total", Help: "Replies sent, by connector and account.",
		}, []string{"connector", "account"}),
		fires: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_workflow_fires_total", Help: "Workflows that fired, by workflow.",
		}, []string{"workflow"}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_workflow_skips_total", Help: "Workflows or steps that did not act, by workflow and reason.",
		}, []string{"workflow", "reason"}),
		replyLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_reply_latency_seconds", Help: "From a message's arrival to its reply being sent.",
			Buckets: []float64{.005, .01, .02, .05, .1, .5, 1, 10, 60, 600, 3600, 86400},
		}, []string{"connector"}),
		stepLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "switchboard_step_seconds", Help: "Time to execute one due step.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_dead_letters_total", Help: "Steps dead-lettered, by workflow.",
		}, []string{"workflow"}),
		sendsInDoubt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sends_in_doubt_total", Help: "Times a plugin's crash or hang, or a failed lookup, left a reply in doubt, to be looked up once its lease runs out, by workflow.",
		}, []string{"workflow"}),
		pluginRestart: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_plugin_restarts_total", Help: "Plugin restarts after a crash or hang, by plugin.",
		}, []string{"plugin"}),
		connectorCheck: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_connector_check_ok", Help: "1 when a connector's last check (at start and after each reload) found that it can reach its vendor, 0 when it did not, by connector and account.",
		}, []string{"connector", "account"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_pruned_total", Help: "What message_retention removed: messages deleted (with their steps and explanations) and contacts blanked, by kind.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.messagesIn, m.messagesRefused, m.messagesOut, m.fires, m.skips, m.replyLatency, m.stepLatency, m.deadLetters, m.sendsInDoubt, m.pluginRestart, m.connectorCheck, m.pruned)
	return m
}

// storeGauges reads the store's backlog when /metrics is scraped.
type storeGauges struct {
	stats func(context.Context) (store.Stats, error)
	descs [7]*prometheus.Desc
}

func newStoreGauges(stats func(context.Context) (store.Stats, error)) *storeGauges {
	return &storeGauges{stats: stats, descs: [7]*prometheus.Desc{
		prometheus.NewDesc("switchboard_steps_pending", "Planned steps waiting for their due time or a retry.", nil, nil),
		prometheus.NewDesc("switchboard_steps_queued", "Steps handed to the queue, not yet begun.", nil, nil),
		prometheus.NewDesc("switchboard_steps_running", "Steps a worker has begun and not finished.", nil, nil),
		prometheus.NewDesc("switchboard_dead_letters", "Steps that failed for good, waiting for a person.", nil, nil),
		prometheus.NewDesc("switchboard_outbox_rows", "Stored work not yet published to the queue.", nil, nil),
		prometheus.NewDesc("switchboard_store_rows_written_total", "Rows the store inserted, updated or deleted since the hub started.", nil, nil),
		prometheus.NewDesc("switchboard_store_write_statements_total", "SQL statements the store's write transactions ran since the hub started.", nil, nil),
	}}
}

func (g *storeGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range g.descs {
		ch <- d
	}
}

func (g *storeGauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := g.stats(ctx)
	if err != nil {
		for _, d := range g.descs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for i, v := range []int{st.PendingSteps, st.QueuedSteps, st.RunningSteps, st.DeadLetters, st.Outbox} {
		ch <- prometheus.MustNewConstMetric(g.descs[i], prometheus.GaugeValue, float64(v))
	}
	ch <- prometheus.MustNewConstMetric(g.descs[5], prometheus.CounterValue, float64(st.RowsWritten))
	ch <- prometheus.MustNewConstMetric(g.descs[6], prometheus.CounterValue, float64(st.WriteStatements))
}

func (m *metrics) sent(connector, account string, latency time.Duration) {
	m.messagesOut.WithLabelValues(connector, account).Inc()
	m.replyLatency.WithLabelValues(connector).Observe(latency.Seconds())
}

// stepSkipped counts by the reason's first word ("unless_answered",
// "reply", "circuit", …) to keep the label's values few.
func (m *metrics) stepSkipped(workflow, reason string) {
	m.skips.WithLabelValues(workflow, reasonLabel(reason)).Inc()
}

func (m *metrics) deadLettered(workflow string) { m.deadLetters.WithLabelValues(workflow).Inc() }

func reasonLabel(reason string) string {
	for i, r := range reason {
		if r == ':' || r == ' ' {
			return reason[:i]
		}
	}
	return reason
}
