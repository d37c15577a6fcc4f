package simkit

import (
	"fmt"
	"net/http"
	"time"

	"github.com/signet-dev/signet/internal/pki"
)

// Core is the plumbing an Aadhaar eSign simulator's Server is built on:
// the mount under its base URL, the fault queues of its API, the notifier
// of its callbacks and the sandbox eSign service that signs for its
// signers. A Server embeds it, which gives it ServeHTTP, Close, ESignCA
// and the fault hooks (FailNext, ThrottleNext, DelayNext).
type Core struct {
	*Faults // on the operations of CoreConfig.Ops

	// Mount, Notifier and ESigner are for the simulator's own use.
	Mount    *Mount
	Notifier *Notifier
	ESigner  *ESigner
}

// CoreConfig configures a Core.
type CoreConfig struct {
	// Name names the simulator in errors: "signzy sim".
	Name string
	// BaseURL is the public URL of the mount (see NewMount).
	BaseURL string
	// Errors answers in the provider's error format: injected faults, and
	// NotFound for a route the provider does not have.
	Errors   ErrorWriter
	NotFound string
	// Ops are the operations faults can be injected into.
	Ops []string
	// HTTPClient, CallbackTimeout and CallbackRetries send the callbacks
	// (see NewNotifier).
	HTTPClient      *http.Client
	CallbackTimeout time.Duration
	CallbackRetries []time.Duration
	// ESignProvider names the eSign service in the signers' certificates;
	// Now is its clock.
	ESignProvider string
	Now           func() time.Time
}

// NewCore checks cfg.BaseURL and returns a Core whose mount answers
// cfg.NotFound to every request until the simulator adds its routes.
func NewCore(cfg CoreConfig) (*Core, error) {
	mount, err := NewMount(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	mount.Mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		cfg.Errors(w, http.StatusNotFound, "", cfg.NotFound)
	})
	return &Core{
		Faults:   NewFaults(cfg.Errors, cfg.Ops...),
		Mount:    mount,
		Notifier: NewNotifier(cfg.HTTPClient, cfg.CallbackTimeout, cfg.CallbackRetries),
		ESigner:  &ESigner{Provider: cfg.ESignProvider, Now: cfg.Now},
	}, nil
}

// ServeHTTP serves the simulated API, with or without the base URL's path
// in front of the routes.
func (c *Core) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.Mount.ServeHTTP(w, r) }

// Close stops the background callback re-sends and waits for them to
// end. The simulator keeps answering requests, but sends no more re-sends.
func (c *Core) Close() error { return c.Notifier.Close() }

// ESignCA is the sandbox eSign CA that issues the signers' certificates,
// for checking a signed document's chain.
func (c *Core) ESignCA() (*pki.CA, error) { return c.ESigner.CA() }
