package mail

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultOutboxSize is how many messages an outbox keeps by default.
const DefaultOutboxSize = 200

// Sent is a message as the outbox kept it.
type Sent struct {
	ID      int64     `json:"id"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	HTML    string    `json:"html,omitempty"`
	SentAt  time.Time `json:"sentAt"`
}

// Outbox is the sandbox's mailer: it keeps the newest messages in memory
// instead of sending them, and serves them as a page. It is safe for
// concurrent use.
type Outbox struct {
	now  func() time.Time
	max  int
	mu   sync.Mutex
	msgs []Sent // oldest first
	next int64
}

// NewOutbox returns an outbox that keeps the newest max messages
// (DefaultOutboxSize if max <= 0), dated by now.
func NewOutbox(max int, now func() time.Time) *Outbox {
	if max <= 0 {
		max = DefaultOutboxSize
	}
	return &Outbox{now: now, max: max}
}

// Send keeps m, dropping the oldest message when the outbox is full.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return &Error{Server: "the sandbox outbox", Err: err}
	}
	if err := ctx.Err(); err != nil {
		return &Error{Temporary: true, Server: "the sandbox outbox", Err: err}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next++
	o.msgs = append(o.msgs, Sent{ID: o.next, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		SentAt: o.now().UTC()})
	if over := len(o.msgs) - o.max; over > 0 {
		o.msgs = append(o.msgs[:0:0], o.msgs[over:]...)
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (o *Outbox) Messages() []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Sent, len(o.msgs))
	for i, m := range o.msgs {
		out[len(out)-1-i] = m
	}
	return out
}

// messagesTo returns the messages for address (any if empty), newest
// first. Addresses compare by their bare, case-folded form.
func (o *Outbox) messagesTo(address string) []Sent {
	all := o.Messages()
	if address == "" {
		return all
	}
	want := bareAddress(address)
	out := all[:0]
	for _, m := range all {
		if bareAddress(m.To) == want {
			out = append(out, m)
		}
	}
	return out
}

func bareAddress(s string) string {
	if a, err := parseAddress(s); err == nil {
		s = a.Address
	}
	return strings.ToLower(strings.TrimSpace(s))
}

//go:embed outbox.html
var outboxHTML string

var outboxPage = template.Must(template.New("outbox").Funcs(template.FuncMap{
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(outboxHTML))

// ServeHTTP lists the kept messages, newest first: an HTML page, or JSON
// ({"messages": [Sent…]}) with ?format=json. ?to=ADDRESS shows only the
// messages to that address.
func (o *Outbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		http.Error(w, "malformed query string", http.StatusBadRequest)
		return
	}
	for k, v := range q {
		if (k != "format" && k != "to") || len(v) > 1 {
			http.Error(w, "query parameters: format (html or json) and to, once each", http.StatusBadRequest)
			return
		}
	}
	to := q.Get("to")
	if len(to) > 320 {
		http.Error(w, "to: too long", http.StatusBadRequest)
		return
	}
	msgs := o.messagesTo(to)
	switch q.Get("format") {
	case "json":
		h.Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Messages []Sent `json:"messages"`
		}{msgs})
	case "", "html":
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		_ = outboxPage.Execute(w, struct {
			To       string
			Messages []Sent
			Max      int
		}{to, msgs, o.max})
	default:
		http.Error(w, "format must be html or json", http.StatusBadRequest)
	}
}
