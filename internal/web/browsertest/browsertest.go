// Package browsertest drives Debian's Chromium from go test, through
// chromedp, for the browser tests of Signet's pages. A test that needs it
// skips with a message when Chromium is not installed. Only _test.go files
// import it.
//
// Every step waits for a condition with a deadline (Timeout); none sleeps
// for a fixed time. A step that fails ends the test with the page's URL
// and the browser console's messages.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package installs the browser.
const Chromium = "/usr/bin/chromium"

// DefaultTimeout bounds each step.
const DefaultTimeout = 15 * time.Second

// pollEvery is how often WaitFor re-evaluates its condition.
const pollEvery = 25 * time.Millisecond

// Browser is one tab of Chromium in a browser context of its own (its
// own cookies, storage and cache), for one test. Its methods end the
// test on failure; it is not for use from several goroutines at once.
type Browser struct {
	t   testing.TB
	ctx context.Context
	// Timeout bounds each step (DefaultTimeout).
	Timeout time.Duration

	mu      sync.Mutex
	console []string
}

// chromium is the one browser process of a test binary, started by the
// first New and stopped by Main.
var chromium struct {
	main   bool // Main runs the tests
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	err    error
}

// Main runs a package's tests and then stops the Chromium they shared and
// removes its profile. A package with browser tests calls it from
// TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
func Main(m *testing.M) int {
	chromium.main = true
	code := m.Run()
	if chromium.cancel != nil {
		chromium.cancel()
	}
	if chromium.dir != "" {
		_ = os.RemoveAll(chromium.dir)
	}
	return code
}

// start starts Chromium at path with a fresh profile.
func start(path string) {
	dir, err := os.MkdirTemp("", "browsertest-")
	if err != nil {
		chromium.err = err
		return
	}
	chromium.dir = dir
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),       // screenshots of the page alone
		chromedp.Flag("force-color-profile", "srgb"), // the same colours on every machine
		chromedp.Flag("lang", "en-US"),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	chromium.ctx = ctx
	chromium.cancel = func() { cancel(); cancelAlloc() }
	// The first step starts the browser; it runs under no deadline,
	// which would end the browser with it.
	chromium.err = chromedp.Do(ctx)
}

// New opens a tab for the test, in a browser context of its own, starting
// the test binary's Chromium first if needed; it skips the test when
// Chromium is not installed. The tab is closed when the test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	path := Chromium
	if _, err := os.Stat(path); err != nil {
		p, lookErr := exec.LookPath("chromium")
		if lookErr != nil {
			t.Skipf("Chromium not installed (%s): apt-get install chromium", path)
		}
		path = p
	}
	if !chromium.main {
		t.Fatal("browsertest: the package's TestMain must run its tests with browsertest.Main")
	}
	began := time.Now()
	chromium.once.Do(func() { start(path) })
	if chromium.err != nil {
		t.Fatalf("starting Chromium: %v", chromium.err)
	}
	ctx, cancel := chromedp.NewContext(chromium.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &Browser{t: t, ctx: ctx, Timeout: DefaultTimeout}
	messages := chromedp.Console(ctx) // opens the tab
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
			b.mu.Unlock()
		}
	}()
	b.do("open a tab")
	t.Logf("browser tab ready in %v", time.Since(began).Round(time.Millisecond))
	return b
}

// do runs steps under the step deadline and ends the test if one fails.
func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := try(b, chromedp.Steps(steps...)); err != nil {
		b.fail(what, err)
	}
}

// run runs one step with a value under the step deadline.
func run[T any](b *Browser, what string, step chromedp.Action[T]) T {
	b.t.Helper()
	v, err := try(b, step)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

func (b *Browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	b.t.Fatalf("browser: %s: %v\n  at %s\n  console:\n    %s", what, err, where, strings.Join(b.Console(), "\n    "))
}

// Navigate opens url and waits for it to load.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url))
}

// Click clicks the first element that the CSS selector sel finds, once
// it is visible. A click that leaves the page does not wait for the next
// one: use Submit for that.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Submit clicks sel (a submit button, a link) and waits until the page
// it leads to has loaded.
func (b *Browser) Submit(sel string) {
	b.t.Helper()
	run(b, "submit "+sel, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// Type types text into the field sel, key by key, as a person would.
func (b *Browser) Type(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// Press sends keys to the page's focused element, as typed on a
// keyboard ("\t" is Tab; see chromedp's kb package for other keys).
func (b *Browser) Press(keys string) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// Text is the visible text of sel, once it is visible.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// WaitVisible waits until sel is visible.
func (b *Browser) WaitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitText waits until the text of sel contains want and returns it.
func (b *Browser) WaitText(sel, want string) string {
	b.t.Helper()
	q := fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e?e.innerText:""})()`, sel)
	var got string
	b.WaitFor(fmt.Sprintf("%s to say %q", sel, want), func() bool {
		got, _ = try(b, chromedp.Evaluate[string](q)) // a page on its way out answers again later
		return strings.Contains(got, want)
	})
	return strings.TrimSpace(got)
}

// WaitURL waits until the tab's URL starts with prefix.
func (b *Browser) WaitURL(prefix string) {
	b.t.Helper()
	b.WaitFor("the URL to start with "+prefix, func() bool {
		u, _ := try(b, chromedp.Location())
		return strings.HasPrefix(u, prefix)
	})
}

// try runs step under the step deadline and returns its error.
func try[T any](b *Browser, step chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.Timeout)
	defer cancel()
	return chromedp.Run(ctx, step)
}

// WaitFor polls cond until it holds, or fails the test after Timeout.
// The condition is checked from Go (with Eval, Text …) rather than by
// chromedp's in-page polling, which needs eval and so breaks under the
// pages' Content-Security-Policy.
func (b *Browser) WaitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(b.Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.fail("wait for "+what, context.DeadlineExceeded)
		}
		select {
		case <-time.After(pollEvery):
		case <-b.ctx.Done():
			b.fail("wait for "+what, b.ctx.Err())
		}
	}
}

// Eval evaluates the JavaScript expression js in the page (through the
// DevTools protocol, which the page's CSP does not restrict) and decodes
// its value into T.
func Eval[T any](b *Browser, js string) T {
	b.t.Helper()
	return run(b, "evaluate "+js, chromedp.Evaluate[T](js))
}

// URL is the tab's current URL.
func (b *Browser) URL() string {
	b.t.Helper()
	return run(b, "read the URL", chromedp.Location())
}

// SetViewport sets the size of the page's viewport in CSS pixels.
func (b *Browser) SetViewport(width, height int) {
	b.t.Helper()
	b.do(fmt.Sprintf("set the viewport to %d×%d", width, height), chromedp.EmulateViewport(int64(width), int64(height)))
}

// DisableJavaScript turns script execution in the tab off (or on again),
// for testing that a page works without it. It holds for the pages the
// tab loads next.
func (b *Browser) DisableJavaScript(off bool) {
	b.t.Helper()
	b.do("switch JavaScript", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
		return err
	}))
}

// Draw drags the mouse with its left button down through points given as
// fractions (0–1) of the element sel's box, as a person signing with a
// mouse would.
func (b *Browser) Draw(sel string, points ...[2]float64) {
	b.t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);e.scrollIntoView({block:"center"});var r=e.getBoundingClientRect();return [r.left,r.top,r.width,r.height]})()`, sel)
	box := Eval[[]float64](b, js)
	if len(box) != 4 || box[2] == 0 || box[3] == 0 {
		b.t.Fatalf("browser: %s has no box to draw in: %v", sel, box)
	}
	var steps []chromedp.Action[chromedp.Void]
	for i, p := range points {
		typ := chromedp.MouseMoved
		switch i {
		case 0:
			typ = chromedp.MousePressed
		case len(points) - 1:
			typ = chromedp.MouseReleased
		}
		x, y := box[0]+p[0]*box[2], box[1]+p[1]*box[3]
		steps = append(steps, chromedp.MouseEvent(typ, x, y, func(p *input.DispatchMouseEventParams) {
			p.Button, p.Buttons, p.ClickCount = input.MouseButtonLeft, 1, 1
		}))
	}
	b.do("draw in "+sel, steps...)
}

// ElementPNG is a PNG screenshot of the element sel, once visible.
func (b *Browser) ElementPNG(sel string) []byte {
	b.t.Helper()
	return run(b, "screenshot "+sel, chromedp.Screenshot(chromedp.CSS(sel), chromedp.NodeVisible))
}

// UpdateDocsEnv names the environment variable that makes tests write
// their screenshots into docs/ in the repository, where the README shows
// them; without it they go to the test's temporary directory, so that a
// test run leaves the checkout as it found it.
const UpdateDocsEnv = "SIGNET_UPDATE_DOCS"

// DocsPath is where a test writes the picture name: docs/name in the
// repository when SIGNET_UPDATE_DOCS=1, else t's temporary directory.
func DocsPath(t testing.TB, name string) string {
	t.Helper()
	if os.Getenv(UpdateDocsEnv) != "1" {
		return filepath.Join(t.TempDir(), name)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "docs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// Screenshot renders the whole page at the given viewport width (the
// height follows the page) and writes it as PNG to DocsPath(name). It
// returns the file's path.
func (b *Browser) Screenshot(width int, name string) string {
	b.t.Helper()
	b.SetViewport(width, 800)
	png := run(b, "screenshot the page", chromedp.FullScreenshot(100))
	path := DocsPath(b.t, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// Console is what the page wrote to the browser console so far: console
// calls, uncaught exceptions and the browser's own log (a resource that
// failed to load, a Content-Security-Policy violation), one per line.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// repoRoot is the directory of go.mod above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}
