package config

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Coordinator owns the current configuration and applies reloads to its
// subscribers. A file that fails to load or validate changes nothing: the
// last good configuration stays in force.
type Coordinator struct {
	path   string
	logger *slog.Logger

	mu          sync.Mutex
	current     Config
	subscribers []func(Config) error

	lastSuccess     prometheus.Gauge
	lastSuccessTime prometheus.Gauge
	reloads         *prometheus.CounterVec
}

// NewCoordinator starts from an already loaded configuration. path may be
// empty when Vigil runs on defaults; Reload then reports that there is
// nothing to reload.
func NewCoordinator(path string, initial Config, logger *slog.Logger, reg prometheus.Registerer) *Coordinator {
	c := &Coordinator{
		path:    path,
		logger:  logger,
		current: initial,
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		lastSuccessTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigil_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_config_reloads_total",
			Help: "Configuration reload attempts by result (success, invalid, apply_failed, no_file).",
		}, []string{"result"}),
	}
	for _, r := range []string{"success", "invalid", "apply_failed", "no_file"} {
		c.reloads.WithLabelValues(r)
	}
	c.lastSuccess.Set(1)
	c.lastSuccessTime.SetToCurrentTime()
	reg.MustRegister(c.lastSuccess, c.lastSuccessTime, c.reloads)
	return c
}

// Subscribe registers fn to be called with every new configuration. It is
// called once now with the current one.
func (c *Coordinator) Subscribe(fn func(Config) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subscribers = append(c.subscribers, fn)
	return fn(c.current)
}

// Current returns the configuration in force.
func (c *Coordinator) Current() Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.current
}

// ErrNoConfigFile is returned by Reload when Vigil was started without one.
var ErrNoConfigFile = errors.New("no configuration file was given at start, so there is nothing to reload")

// Reload reads the file again and applies it. Settings that only take
// effect at start (listen address, data directory, state database) are
// reported in the log when they change and otherwise ignored until restart.
func (c *Coordinator) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" {
		c.reloads.WithLabelValues("no_file").Inc()
		return ErrNoConfigFile
	}
	next, err := Load(c.path)
	if err != nil {
		c.reloads.WithLabelValues("invalid").Inc()
		c.lastSuccess.Set(0)
		c.logger.Error("configuration reload failed; keeping the last good configuration", "err", err)
		return err
	}
	for _, f := range restartOnly(c.current, next) {
		c.logger.Warn("configuration change needs a restart to take effect", "field", f)
	}
	var errs []error
	for _, fn := range c.subscribers {
		if err := fn(next); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.reloads.WithLabelValues("apply_failed").Inc()
		c.lastSuccess.Set(0)
		c.logger.Error("applying reloaded configuration failed", "err", err)
		return fmt.Errorf("apply configuration: %w", err)
	}
	c.current = next
	c.reloads.WithLabelValues("success").Inc()
	c.lastSuccess.Set(1)
	c.lastSuccessTime.SetToCurrentTime()
	c.logger.Info("configuration reloaded", "file", c.path)
	return nil
}

func restartOnly(old, next Config) []string {
	var fields []string
	if old.Server.Listen != next.Server.Listen {
		fields = append(fields, "server.listen")
	}
	if old.Server.TLS != next.Server.TLS {
		fields = append(fields, "server.tls")
	}
	if old.Storage != next.Storage {
		fields = append(fields, "storage")
	}
	if old.State != next.State {
		fields = append(fields, "state")
	}
	if old.Query != next.Query {
		fields = append(fields, "query")
	}
	return fields
}
