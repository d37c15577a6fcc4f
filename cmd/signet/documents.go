package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/s3"
)

// documentStore is the object store --documents names, checked (the
// bucket is there, the credentials work) before serve takes requests;
// nil for --documents database.
func documentStore(ctx context.Context, cfg *s3.Config) (blob.Store, error) {
	if cfg == nil {
		return nil, nil
	}
	st, err := s3.New(*cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: --documents: %v", errUsage, err)
	}
	if err := st.Check(ctx); err != nil {
		return nil, fmt.Errorf("--documents %s: %w", cfg, err)
	}
	return st, nil
}

// sweeper deletes orphaned document blobs every interval (package blob:
// blobs whose create or update failed before its row was committed).
type sweeper struct {
	sweep    blob.Sweeper
	interval time.Duration
	grace    time.Duration
	now      func() time.Time
	log      *slog.Logger

	whole time.Time // when a sweep last covered every blob

	stop   chan struct{}
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// sweepWindow is how far back behind the grace period a sweep looks: far
// more than any clock skew between replicas, and cheap, as keys are in
// time order. Once per window a sweep looks at everything, for the rare
// orphan that is older (a signed document replaced days after it was
// made).
const sweepWindow = 24 * time.Hour

// start runs the sweeps until Stop, the first at once.
func (s *sweeper) start(ctx context.Context) {
	s.stop = make(chan struct{})
	ctx, s.cancel = context.WithCancel(ctx)
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
			s.once(ctx)
			t.Reset(s.interval)
		}
	}()
}

// once sweeps once: every blob older than the grace period if no sweep
// has covered them all for sweepWindow (so the first of a process does),
// else sweepWindow's worth of them.
func (s *sweeper) once(ctx context.Context) {
	now := s.now()
	to := now.Add(-s.grace)
	var from time.Time
	if now.Sub(s.whole) < sweepWindow {
		from = to.Add(-sweepWindow)
	}
	n, err := s.sweep.Sweep(ctx, from, to)
	if err != nil {
		s.log.Warn("sweeping orphaned documents failed; the next sweep tries again", "deleted", n, "err", err)
		return
	}
	if n > 0 {
		s.log.Info("deleted orphaned documents", "count", n)
	}
	if from.IsZero() {
		s.whole = now
	}
}

// Stop stops the sweeps, cutting one in progress short.
func (s *sweeper) Stop() {
	if s.stop != nil {
		close(s.stop)
		s.cancel()
		s.done.Wait()
		s.stop = nil
	}
}

// documentsMove is `signet documents move`: the documents kept in the
// database go to the object store --documents names (blob.Mover). Every
// server must already run with that same --documents: they read what is
// not in the bucket yet from the database, while one that still keeps
// documents in the database could not read those moved.
func documentsMove(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("documents move", stderr)
	database := databaseFlag(fs, getenv)
	documents := fs.String("documents", envOr(getenv, "SIGNET_DOCUMENTS", ""), "the object store to move them to: s3://BUCKET?endpoint=URL&region=R, the same as every server's --documents, which must be restarted with it first (SIGNET_DOCUMENTS)")
	grace := fs.Duration("grace", envDuration(getenv, "SIGNET_DOCUMENTS_SWEEP_GRACE", time.Hour), "blobs in the database that no session names are deleted once this old (SIGNET_DOCUMENTS_SWEEP_GRACE)")
	parallel := fs.Int("parallel", 8, "documents copied at once")
	drain := fs.Duration("drain", time.Minute, "how long the originals are kept after the last one is moved, for downloads under way")
	if err := parseArgs(fs, args); err != nil {
		return usageErr(err)
	}
	if *parallel < 1 || *parallel > 256 || *drain < 0 {
		return fmt.Errorf("%w: --parallel must be 1 to 256 and --drain not negative, got %d and %v", errUsage, *parallel, *drain)
	}
	if *documents == "" || *documents == "database" {
		return fmt.Errorf("%w: --documents must name the object store to move the documents to: s3://BUCKET?endpoint=URL&region=R", errUsage)
	}
	cfg, err := parseDocuments(*documents, getenv)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *grace < time.Minute {
		return fmt.Errorf("%w: --grace must be at least 1m: a create writes its document before its session", errUsage)
	}
	to, err := documentStore(ctx, cfg)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, *database, nil, false)
	if err != nil {
		return err
	}
	defer store.Close()
	// A line on stderr every few seconds: a bank's archive takes a while.
	last := time.Now()
	progress := func(p blob.Moved) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "signet: %d documents (%d bytes) moved so far\n", p.Blobs+p.Inline, p.Bytes)
		}
	}
	m := blob.Mover{From: store.Documents(), To: to, Rows: store, Inline: store, Grace: *grace, Drain: *drain, Workers: *parallel, Progress: progress}
	moved, err := m.Move(ctx)
	n, noun := moved.Blobs+moved.Inline, "documents"
	if n == 1 {
		noun = "document"
	}
	fmt.Fprintf(stdout, "moved %d %s (%d bytes) to %s", n, noun, moved.Bytes, cfg)
	if moved.Inline > 0 {
		fmt.Fprintf(stdout, ", %d of them kept in their rows by an earlier release", moved.Inline)
	}
	fmt.Fprintf(stdout, "; deleted %d originals and %d unnamed blobs from the database\n", moved.Deleted, moved.Unnamed)
	for _, d := range moved.Mismatched {
		fmt.Fprintf(stderr, "signet: document %s was left in the database: its bytes do not match the SHA-256 recorded with them\n", d)
	}
	if err == nil && len(moved.Mismatched) > 0 {
		err = fmt.Errorf("%d documents were left in the database because their bytes do not match their recorded SHA-256 (listed above); every other document was moved", len(moved.Mismatched))
	}
	return err
}
