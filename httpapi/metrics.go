package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the server's Prometheus registry. Each server gets its own, so
// several can live in one process (tests).
type Metrics struct {
	Registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	cacheHits prometheus.Counter
	cacheMiss prometheus.Counter
}

func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omi_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "omi_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omi_key_cache_hits_total", Help: "Developer-key verifications answered from memory.",
		}),
		cacheMiss: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omi_key_cache_misses_total", Help: "Developer-key verifications that asked the store.",
		}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.cacheHits, m.cacheMiss,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) KeyCacheHit()  { m.cacheHits.Inc() }
func (m *Metrics) KeyCacheMiss() { m.cacheMiss.Inc() }

func (m *Metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
