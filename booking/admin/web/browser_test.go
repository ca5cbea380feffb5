package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/admin"
	"github.com/reservations/reservations/booking/admin/web"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/internal/testsupport"
	"github.com/reservations/reservations/server"
)

const (
	staffUser     = "staff"
	staffPassword = "correct horse"
	staleMessage  = "This reservation changed since you loaded the page — reloaded."
	xssName       = `<img src=x onerror=alert(1)>`
	day           = "2026-06-02" // a Tuesday: Sample Salon is open 09:00–18:00
)

// fixture is the server side of the browser test: the booking core over an in-memory store, the staff API
// behind basic auth and the page, on a real loopback HTTP server.
type fixture struct {
	core  *booking.Core
	store booking.Store
	srv   *httptest.Server
	la    *time.Location
	now   time.Time

	mu     sync.Mutex
	writes []write // the POSTs the server answered, oldest first

	ada, grace, alan, edsger, xss, katherine, dorothy booking.Booking
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	inv, err := booking.LoadInventoryFile(filepath.Join("..", "..", "..", "testdata", "inventory.json"))
	if err != nil {
		t.Fatal(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{la: la, now: time.Date(2026, 6, 1, 8, 0, 0, 0, la)}
	store := memory.New()
	f.store = store
	f.core, err = booking.NewService(booking.Config{Store: store, Inventory: inv, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 6, 2, h, m, 0, 0, la) }
	create := func(merchant string, start time.Time, name string) booking.Booking {
		t.Helper()
		b, err := f.core.CreateBooking(ctx, booking.CreateRequest{MerchantID: merchant, Start: start, PartySize: 1,
			Customer: booking.Customer{Name: name, Email: "guest@example.com"}, Source: booking.SourceAdmin})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return b
	}
	setStatus := func(b booking.Booking, s booking.Status) booking.Booking {
		t.Helper()
		nb, err := f.core.SetStatus(ctx, booking.StatusRequest{BookingID: b.ID, Status: s})
		if err != nil {
			t.Fatalf("%s → %s: %v", b.Customer.Name, s, err)
		}
		return nb
	}

	// Sample Salon confirms by hand: new bookings are PENDING.
	f.ada = create("sample-salon", at(10, 0), "Ada Lovelace")
	f.grace = setStatus(create("sample-salon", at(11, 0), "Grace Hopper"), booking.StatusConfirmed)
	f.edsger = setStatus(create("sample-salon", at(12, 0), "Edsger Dijkstra"), booking.StatusCancelled)
	f.alan = setStatus(create("sample-salon", at(14, 0), "Alan Turing"), booking.StatusConfirmed)
	f.xss = create("sample-salon", at(15, 0), xssName)
	// Made through the Assistant: it has a Google order, and its confirmation reached Google.
	hold, err := f.core.PlaceHold(ctx, booking.HoldRequest{MerchantID: "sample-salon", Start: at(16, 30), PartySize: 1, UserID: "user-k"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.core.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: "sample-salon", HoldID: hold.ID,
		Customer: booking.Customer{Name: "Katherine Johnson"}, Source: booking.SourceAssistant, GoogleOrderID: "order-k"})
	if err != nil {
		t.Fatal(err)
	}
	f.katherine = setStatus(k, booking.StatusConfirmed)
	// Made through the Assistant, but the accepted order carried no Google order id: its changes still go to
	// Google (booking.Booking.HasGoogleOrder).
	hold, err = f.core.PlaceHold(ctx, booking.HoldRequest{MerchantID: "sample-salon", Start: at(13, 0), PartySize: 1, UserID: "user-d"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.core.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: "sample-salon", HoldID: hold.ID,
		Customer: booking.Customer{Name: "Dorothy Vaughan"}, Source: booking.SourceAssistant})
	if err != nil {
		t.Fatal(err)
	}
	f.dorothy = setStatus(d, booking.StatusConfirmed)
	// Not on the page: another day, another merchant.
	create("sample-salon", time.Date(2026, 6, 3, 10, 0, 0, 0, la), "Barbara Liskov")
	create("sample-bistro", at(19, 0), "John Backus")

	// A worker delivered everything queued so far.
	for {
		entries, err := store.ClaimOutbox(ctx, "test-worker", 100, time.Minute, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if err := store.AckOutbox(ctx, e.ID, "test-worker", f.now.Add(2*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}

	f.srv = httptest.NewServer(f.recordWrites(f.engine()))
	t.Cleanup(f.srv.Close)
	return f
}

// engine mounts the page and the staff API behind basic auth on the service's server, as cmd does.
func (f *fixture) engine() http.Handler {
	srv, err := server.New(server.Config{})
	if err != nil {
		panic(err)
	}
	api, site := admin.New(f.core, f.store), web.New()
	auth := httpauth.Basic("admin", httpauth.Credential{User: staffUser, Password: staffPassword})
	if err := errors.Join(srv.Mount(auth(api), api.Patterns()...), srv.Mount(site, site.Patterns()...)); err != nil {
		panic(err)
	}
	return srv.Handler()
}

// write is a POST as the server received and answered it.
type write struct {
	path, secFetchSite, origin, contentType string
	staff                                   bool // it carried the staff's valid credentials
	status                                  int
}

// statusRecorder keeps the status an http.ResponseWriter was given.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// recordWrites records every POST h answers in f.writes.
func (f *fixture) recordWrites(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		user, pass, _ := r.BasicAuth()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.writes = append(f.writes, write{path: r.URL.Path, secFetchSite: r.Header.Get("Sec-Fetch-Site"),
			origin: r.Header.Get("Origin"), contentType: r.Header.Get("Content-Type"),
			staff: user == staffUser && pass == staffPassword, status: rec.status})
	})
}

// recorded returns the POSTs answered so far.
func (f *fixture) recorded() []write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

func (f *fixture) booking(t *testing.T, id string) booking.Booking {
	t.Helper()
	b, err := f.core.Booking(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// merchantsListed reports whether the staff API lists merchants (the page then shows a selector for more
// than one).
func (f *fixture) merchantsListed(t *testing.T) bool {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/admin/v1/merchants", nil)
	req.SetBasicAuth(staffUser, staffPassword)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// browser is the page as the test drives it: one tab of a headless Chromium, driven over the DevTools
// protocol.
type browser struct {
	t *testing.T
	// tab is chromedp's context for the tab; it lives until the test's cleanup, so that a failure can still
	// be photographed. deadline is the test's own: every action stops when it ends.
	tab, deadline context.Context
	shots         []string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage // errors and exceptions the page wrote to the console
	dialogs []string                  // messages of the JavaScript dialogs that opened (and were dismissed)
}

// startBrowser starts a headless Chromium in the merchant's time zone, in US English. Chromium is required
// under CI=true; elsewhere the test is skipped without it.
func startBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	bin, err := testsupport.FindChromium()
	if err != nil {
		testsupport.SkipUnlessCI(t, "browser test needs Chromium: "+err.Error())
	}
	var out testsupport.LogBuffer // the browser's stdout and stderr, shown when the test fails
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		// Chromium's sandbox does not start as root (CI containers) nor without user namespaces; the browser
		// only loads the test's loopback server.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("accept-lang", "en-US"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Env("TZ=America/Los_Angeles", "LANG=en_US.UTF-8", "LANGUAGE=en_US"),
		chromedp.CombinedOutput(&out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		fmt.Fprintf(&out, "chromedp: "+format+"\n", args...)
	}))
	b := &browser{t: t, tab: tab, deadline: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot("failure")
			// Without a D-Bus (containers), Chromium logs its failed attempts to reach one: not worth reading.
			lines := slices.DeleteFunc(strings.Split(out.String(), "\n"), func(l string) bool { return strings.Contains(l, ":ERROR:dbus/") })
			t.Logf("browser output:\n%s", strings.Join(lines, "\n"))
		}
		cancelTab()
		cancelAlloc()
	})
	// The first action starts the browser and opens the tab; it must run on the tab's own context (the tab
	// lives as long as the context of its first action). A browser that does not start before the test's
	// deadline is stopped.
	stop := context.AfterFunc(ctx, cancelTab)
	err = chromedp.Do(tab)
	stop()
	if err != nil {
		t.Fatalf("start %s: %v\n%s", bin, err, out.String())
	}
	b.watch()
	return b
}

// watch records the console's errors and dismisses (and records) any JavaScript dialog, for as long as the
// tab lives.
func (b *browser) watch() {
	messages := chromedp.Console(b.tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, m)
				b.mu.Unlock()
			}
		}
	}()
	dialogs := chromedp.Events(b.tab, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(b.tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
}

// actionTimeout bounds one browser action, and each wait.
const actionTimeout = 10 * time.Second

// actionContext is the context of one action: the tab's, ending after actionTimeout or with the test's
// deadline.
func (b *browser) actionContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	stop := context.AfterFunc(b.deadline, cancel)
	return ctx, func() { stop(); cancel() }
}

// do runs actions in the tab.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := b.actionContext()
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// run runs actions in the tab and fails the test when one fails.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := b.do(actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value in the tab, failing the test when it fails.
func get[T any](b *browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.actionContext()
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// call is a JavaScript expression that calls the function fn with args (encoded as JSON).
func call(fn string, args ...any) string {
	var sb strings.Builder
	sb.WriteString("(" + fn + ")(")
	for i, a := range args {
		j, err := json.Marshal(a)
		if err != nil {
			panic(err) // the tests pass strings
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.Write(j)
	}
	sb.WriteString(")")
	return sb.String()
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	return get(b, "script "+expr, chromedp.Evaluate[T](expr))
}

// The page's element functions. Each finds its element with a CSS selector and throws when there is none.
const (
	// visibleJS tells whether the element is shown: rendered, with a box, not visibility:hidden.
	visibleJS = `(css) => {
  const el = document.querySelector(css);
  if (!el) throw new Error('no element matches ' + css);
  return el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length > 0;
}`
	// textJS is the element's text as the user reads it: empty when hidden, spaces for the no-break spaces
	// that dates and times carry.
	textJS = `(css) => {
  const el = document.querySelector(css);
  if (!el) throw new Error('no element matches ' + css);
  if (!el.checkVisibility({visibilityProperty: true})) return '';
  return el.innerText.replace(/[\u202f\u00a0]/g, ' ').trim();
}`
	// valueJS is the value property of a form field.
	valueJS = `(css) => {
  const el = document.querySelector(css);
  if (!el) throw new Error('no element matches ' + css);
  return el.value;
}`
	// setValueJS sets a form field's value as a picker or paste would, with an input event.
	setValueJS = `(css, v) => {
  const el = document.querySelector(css);
  if (!el) throw new Error('no element matches ' + css);
  el.value = v;
  el.dispatchEvent(new Event('input', {bubbles: true}));
}`
	// selectJS chooses an option of a select element, with a change event.
	selectJS = `(css, v) => {
  const el = document.querySelector(css);
  if (!el) throw new Error('no element matches ' + css);
  el.value = v;
  el.dispatchEvent(new Event('change', {bubbles: true}));
}`
)

func (b *browser) click(css string) {
	b.t.Helper()
	b.run("click "+css, chromedp.Click(chromedp.CSS(css)))
}

// typeInto empties a field and types text into it, key by key.
func (b *browser) typeInto(css, text string) {
	b.t.Helper()
	b.run("type into "+css,
		chromedp.Evaluate[chromedp.Void](call(setValueJS, css, "")),
		chromedp.SendKeys(chromedp.CSS(css), text))
}

// setValue sets a field's value as a picker would (the datetime-local widget's keyboard entry depends on the
// locale).
func (b *browser) setValue(css, v string) {
	b.t.Helper()
	eval[chromedp.Void](b, call(setValueJS, css, v))
}

// choose picks the option v of a select element.
func (b *browser) choose(css, v string) {
	b.t.Helper()
	eval[chromedp.Void](b, call(selectJS, css, v))
}

func (b *browser) text(css string) string {
	b.t.Helper()
	return eval[string](b, call(textJS, css))
}

func (b *browser) value(css string) string {
	b.t.Helper()
	return eval[string](b, call(valueJS, css))
}

func (b *browser) displayed(css string) bool {
	b.t.Helper()
	return eval[bool](b, call(visibleJS, css))
}

func (b *browser) navigate(url string) {
	b.t.Helper()
	b.run("navigate to "+url, chromedp.Navigate(url))
}

func (b *browser) location() string {
	b.t.Helper()
	return get(b, "location", chromedp.Location())
}

// slow logs a wait that took long, to find what makes the test slow.
func (b *browser) slow(start time.Time) {
	if d := time.Since(start); d > time.Second {
		b.t.Logf("waited %s", d.Round(time.Millisecond))
	}
}

// waitFor calls cond every 25 ms until it holds, for up to actionTimeout, describing what it waited for when
// it fails. Errors (no such element yet, a page that is navigating) are retried; the last one is reported.
func (b *browser) waitFor(what string, cond func(ctx context.Context) (bool, error)) {
	b.t.Helper()
	defer b.slow(time.Now())
	ctx, cancel := b.actionContext()
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond(ctx)
		if err == nil && ok {
			return
		}
		last = err
		select {
		case <-ctx.Done():
			b.t.Fatalf("waiting for %s: %v (last error: %v)", what, ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// evalIn evaluates a JavaScript expression with ctx, for the conditions of waitFor.
func evalIn[T any](ctx context.Context, expr string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

func (b *browser) waitText(css, want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("%s to read %q", css, want), func(ctx context.Context) (bool, error) {
		got, err := evalIn[string](ctx, call(textJS, css))
		if err == nil && got != want {
			err = fmt.Errorf("it reads %q", got)
		}
		return err == nil, err
	})
}

func (b *browser) waitDisplayed(css string) {
	b.t.Helper()
	b.waitFor(css+" to be displayed", func(ctx context.Context) (bool, error) {
		return evalIn[bool](ctx, call(visibleJS, css))
	})
}

// waitClosed waits until the dialog element with this id is closed.
func (b *browser) waitClosed(id string) {
	b.t.Helper()
	b.waitFor("the "+id+" dialog to close", func(ctx context.Context) (bool, error) {
		open, err := evalIn[bool](ctx, call("(id) => document.getElementById(id).open", id))
		return !open, err
	})
}

// row is a booking as the page shows it.
type row struct {
	ID, Status, Time, Party, Name, Badge, Code, Source, Google string
	Actions                                                    []string
}

const rowsScript = `(() => {
const norm = (s) => (s || '').replace(/[\u202f\u00a0]/g, ' ').trim();
return [...document.querySelectorAll('#bookings tbody tr')].map((tr) => ({
  ID: tr.dataset.id, Status: tr.dataset.status,
  Time: norm(tr.querySelector('td.time time')?.innerText),
  Party: norm(tr.querySelector('td.party')?.innerText),
  Name: norm(tr.querySelector('td.name')?.innerText),
  Badge: norm(tr.querySelector('td.status .badge')?.innerText),
  Code: norm(tr.querySelector('td.code')?.innerText),
  Source: norm(tr.querySelector('td.source')?.innerText),
  Google: tr.querySelector('td.google-cell [data-state]')?.dataset.state + ' ' + norm(tr.querySelector('td.google-cell [data-state]')?.textContent),
  Actions: [...tr.querySelectorAll('button[data-action]')].map((b) => b.dataset.action),
}));
})()`

func (b *browser) rows() []row {
	b.t.Helper()
	return eval[[]row](b, rowsScript)
}

func (b *browser) rowOf(id string) row {
	b.t.Helper()
	for _, r := range b.rows() {
		if r.ID == id {
			return r
		}
	}
	b.t.Fatalf("no row for booking %s", id)
	return row{}
}

// waitRow waits until the booking's row satisfies ok.
func (b *browser) waitRow(what, id string, ok func(r row) bool) {
	b.t.Helper()
	b.waitFor(what, func(ctx context.Context) (bool, error) {
		rows, err := evalIn[[]row](ctx, rowsScript)
		if err != nil {
			return false, err
		}
		for _, r := range rows {
			if r.ID == id {
				if ok(r) {
					return true, nil
				}
				return false, fmt.Errorf("row now %+v", r)
			}
		}
		return false, fmt.Errorf("no row for booking %s", id)
	})
}

func (b *browser) sessionStorageLen() int {
	b.t.Helper()
	return eval[int](b, "sessionStorage.length")
}

// screenshot saves a PNG of the page in the test's temp directory, and in $WEB_SCREENSHOT_DIR when set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	dirs := []string{b.t.TempDir()}
	if d := os.Getenv("WEB_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.t.Errorf("save screenshot: %v", err)
			continue
		}
		b.shots = append(b.shots, p)
	}
}

// consoleErrors are the console's errors and exceptions so far, without failed requests (the page's 401
// and 409 answers are expected).
func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Source == "network" || strings.Contains(m.Text, "Failed to load resource") {
			continue
		}
		out = append(out, m.String())
	}
	return out
}

// openedDialogs are the JavaScript dialogs (alert, confirm, prompt) that opened so far.
func (b *browser) openedDialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.dialogs)
}

func (b *browser) rowButton(id, action string) string {
	return fmt.Sprintf(`#bookings tr[data-id=%q] button[data-action=%q]`, id, action)
}

// TestAdminPageInBrowser drives the admin page in headless Chromium (through chromedp) against the real staff
// API and booking core: sign-in, the day's list, confirm, cancel, a stale version, reschedule, untrusted names, the Google
// delivery state, sign-out and credentials that stop working.
func TestAdminPageInBrowser(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	f := newFixture(t)
	b := startBrowser(t, ctx)
	t.Logf("browser ready after %s", time.Since(start).Round(time.Millisecond))

	// The page is public and asks for credentials; /admin redirects to /admin/ with the query.
	b.navigate(f.srv.URL + "/admin?merchant=sample-salon&date=" + day)
	b.waitDisplayed("#username")
	if b.displayed("#day") {
		t.Error("the day view shows before sign-in")
	}
	if title := get(b, "title", chromedp.Title()); title != "Reservations · Staff" {
		t.Errorf("title = %q", title)
	}

	// A wrong password: a clear message, nothing kept.
	b.typeInto("#username", staffUser)
	b.typeInto("#password", "wrong")
	b.click("#signin-submit")
	b.waitText("#alert", "Wrong username or password. Please try again.")
	b.screenshot("signin-error")
	if b.displayed("#day") {
		t.Error("the day view shows after a wrong password")
	}
	if n := b.sessionStorageLen(); n != 0 {
		t.Errorf("sessionStorage has %d items after a failed sign-in", n)
	}
	if b.value("#password") != "" {
		t.Error("the wrong password stays in the field")
	}

	// Sign in: the day's bookings of the merchant, in time order.
	b.typeInto("#password", staffPassword)
	b.click("#signin-submit")
	b.waitDisplayed("#bookings")
	b.waitFor("the Google state of every row", func(ctx context.Context) (bool, error) {
		for _, r := range b.rows() {
			if strings.HasPrefix(r.Google, "CHECKING") {
				return false, nil
			}
		}
		return true, nil
	})
	if got := b.text("#alert"); got != "" {
		t.Errorf("alert after sign-in: %q", got)
	}
	code := func(bk booking.Booking) string { return bk.ConfirmationCode }
	wantRows := []row{
		{f.ada.ID, "PENDING", "10:00 AM", "1", "Ada Lovelace", "Pending", code(f.ada), "Staff", "NONE —No Google order", []string{"details", "confirm", "reject", "cancel", "reschedule"}},
		{f.grace.ID, "CONFIRMED", "11:00 AM", "1", "Grace Hopper", "Confirmed", code(f.grace), "Staff", "NONE —No Google order", []string{"details", "fulfill", "noshow", "cancel", "reschedule"}},
		{f.edsger.ID, "CANCELLED", "12:00 PM", "1", "Edsger Dijkstra", "Cancelled", code(f.edsger), "Staff", "NONE —No Google order", []string{"details"}},
		{f.dorothy.ID, "CONFIRMED", "1:00 PM", "1", "Dorothy Vaughan", "Confirmed", code(f.dorothy), "Google Assistant", "SENT Up to date", []string{"details", "fulfill", "noshow", "cancel", "reschedule"}},
		{f.alan.ID, "CONFIRMED", "2:00 PM", "1", "Alan Turing", "Confirmed", code(f.alan), "Staff", "NONE —No Google order", []string{"details", "fulfill", "noshow", "cancel", "reschedule"}},
		{f.xss.ID, "PENDING", "3:00 PM", "1", xssName, "Pending", code(f.xss), "Staff", "NONE —No Google order", []string{"details", "confirm", "reject", "cancel", "reschedule"}},
		{f.katherine.ID, "CONFIRMED", "4:30 PM", "1", "Katherine Johnson", "Confirmed", code(f.katherine), "Google Assistant", "SENT Up to date", []string{"details", "fulfill", "noshow", "cancel", "reschedule"}},
	}
	if got := b.rows(); !reflect.DeepEqual(got, wantRows) {
		t.Errorf("rows after sign-in:\n got %+v\nwant %+v", got, wantRows)
	}
	if n := b.sessionStorageLen(); n != 2 {
		t.Errorf("sessionStorage has %d items after sign-in, want the credentials and the user name", n)
	}
	if dateValue := b.value("#date"); dateValue != day {
		t.Errorf("date input = %q; want %s", dateValue, day)
	}
	if got := b.text("#summary"); got != "7 reservations · 6 open, 6 guests · 2 waiting for confirmation · times in Los Angeles time" {
		t.Errorf("summary = %q", got)
	}
	if got := b.text("#day-title"); got != "Tuesday, June 2, 2026" {
		t.Errorf("day title = %q", got)
	}
	if got := b.text("#merchant-name"); got != "sample-salon" && got != "Sample Salon" {
		t.Errorf("merchant shown as %q", got)
	}
	if got := b.text("#signed-in-as"); got != "Signed in as staff" {
		t.Errorf("signed-in-as = %q", got)
	}
	if listed := f.merchantsListed(t); b.displayed("#merchant-field") != listed {
		t.Errorf("merchant selector displayed = %v, but the API lists merchants = %v", !listed, listed)
	}

	// An untrusted name is text: no image element, no script ran.
	if n := eval[int](b, "document.querySelectorAll('#bookings img, #bookings [onerror]').length"); n != 0 {
		t.Errorf("the customer name became markup: %d elements", n)
	}
	if got := b.text(fmt.Sprintf(`#bookings tr[data-id=%q] td.name`, f.xss.ID)); got != xssName {
		t.Errorf("the name renders as %q, want the literal %q", got, xssName)
	}
	if d := b.openedDialogs(); len(d) != 0 {
		t.Errorf("a JavaScript dialog opened (the name's onerror ran?): %q", d)
	}
	b.screenshot("day-desktop")

	// Confirm the pending booking: CONFIRMED on the page and in the store.
	b.click(b.rowButton(f.ada.ID, "confirm"))
	b.waitRow("Ada's booking to show Confirmed", f.ada.ID, func(r row) bool { return r.Status == "CONFIRMED" && r.Badge == "Confirmed" })
	if got := f.booking(t, f.ada.ID); got.Status != booking.StatusConfirmed || got.Version != 2 {
		t.Errorf("stored Ada: %s v%d, want CONFIRMED v2", got.Status, got.Version)
	}
	b.waitText("#notice", "Reservation of Ada Lovelace at 10:00 AM confirmed.")
	// The page's write is same-origin JSON, which the API's cross-origin and media type checks let through.
	writes := f.recorded()
	if len(writes) == 0 {
		t.Fatal("the server saw no write from the page")
	}
	if w := writes[len(writes)-1]; w.path != "/admin/v1/bookings/"+f.ada.ID+"/status" || w.secFetchSite != "same-origin" ||
		!strings.HasPrefix(w.contentType, "application/json") || !w.staff || w.status != http.StatusOK {
		t.Errorf("the page's confirmation reached the server as %+v, want a same-origin application/json POST answered 200", w)
	}
	if r := b.rowOf(f.ada.ID); !reflect.DeepEqual(r.Actions, []string{"details", "fulfill", "noshow", "cancel", "reschedule"}) {
		t.Errorf("Ada's actions after confirming: %v", r.Actions)
	}

	// Cancel another, with a reason, after confirming in the dialog: CANCELLED in the store with its outbox
	// entry.
	b.click(b.rowButton(f.grace.ID, "cancel"))
	b.waitDisplayed("#confirm")
	if got := b.text("#confirm-title"); got != "Cancel this reservation?" {
		t.Errorf("confirm dialog title = %q", got)
	}
	b.typeInto("#confirm-reason", "Guest called")
	b.click("#confirm-ok")
	b.waitRow("Grace's booking to show Cancelled", f.grace.ID, func(r row) bool { return r.Status == "CANCELLED" && r.Badge == "Cancelled" })
	g := f.booking(t, f.grace.ID)
	if g.Status != booking.StatusCancelled || g.Reason != "Guest called" {
		t.Errorf("stored Grace: %s reason %q, want CANCELLED \"Guest called\"", g.Status, g.Reason)
	}
	entries, err := f.store.OutboxByBooking(t.Context(), f.grace.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Kind != booking.ChangeStatus || last.Booking.Status != booking.StatusCancelled || last.State != booking.DeliveryPending || last.Reason != "Guest called" {
		t.Errorf("Grace's last outbox entry: %s %s %s %q, want a pending STATUS entry for CANCELLED", last.Kind, last.Booking.Status, last.State, last.Reason)
	}

	// Keeping a booking in the dialog changes nothing.
	b.click(b.rowButton(f.xss.ID, "reject"))
	b.waitDisplayed("#confirm")
	b.click("#confirm-keep")
	b.waitClosed("confirm")
	if got := f.booking(t, f.xss.ID); got.Status != booking.StatusPending || got.Version != 1 {
		t.Errorf("kept booking changed: %s v%d", got.Status, got.Version)
	}

	// A stale page: the booking moves behind the page's back, then staff click. The page says so and
	// reloads; the click changes nothing.
	moved, err := f.core.Update(t.Context(), booking.UpdateRequest{BookingID: f.alan.ID, Start: time.Date(2026, 6, 2, 14, 30, 0, 0, f.la)})
	if err != nil {
		t.Fatal(err)
	}
	b.click(b.rowButton(f.alan.ID, "fulfill"))
	b.waitText("#alert", staleMessage)
	b.waitRow("Alan's row to show the new time", f.alan.ID, func(r row) bool { return r.Time == "2:30 PM" && r.Status == "CONFIRMED" })
	if got := f.booking(t, f.alan.ID); got.Status != booking.StatusConfirmed || got.Version != moved.Version {
		t.Errorf("stored Alan after the stale click: %s v%d, want CONFIRMED v%d", got.Status, got.Version, moved.Version)
	}
	b.screenshot("stale")
	// The reloaded row carries the new version: the same click now works.
	b.click(b.rowButton(f.alan.ID, "fulfill"))
	b.waitRow("Alan's booking to show Fulfilled", f.alan.ID, func(r row) bool { return r.Status == "FULFILLED" })
	if got := b.text("#alert"); got != "" {
		t.Errorf("alert after a successful change: %q", got)
	}

	// Details of the Assistant booking: each update and whether it reached Google.
	b.click(b.rowButton(f.katherine.ID, "details"))
	b.waitDisplayed("#details")
	b.waitText("#details-title", "Katherine Johnson")
	updates := eval[[][]string](b, `[...document.querySelectorAll('#updates tbody tr')].map((tr) => [...tr.cells].map((c) => c.innerText.replace(/[\u202f\u00a0]/g, ' ').trim()))`)
	delivered := time.Date(2026, 6, 1, 8, 0, 2, 0, f.la).Format("Jan 2, 3:04 PM")
	wantUpdates := [][]string{
		{"1", "Booked", "Pending", "Not needed", "1", "—", delivered},
		{"2", "Status change", "Confirmed", "Sent", "1", "—", delivered},
	}
	if !reflect.DeepEqual(updates, wantUpdates) {
		t.Errorf("updates table:\n got %q\nwant %q", updates, wantUpdates)
	}
	b.screenshot("details")
	b.click("#details-close")
	b.waitClosed("details")

	// Reschedule: the form opens with the current time, in the merchant's time zone, and has the focus; the
	// new time reaches the store.
	b.click(b.rowButton(f.ada.ID, "reschedule"))
	b.waitText("#details-title", "Ada Lovelace")
	if id := eval[string](b, "document.activeElement?.id ?? ''"); id != "reschedule-start" {
		t.Errorf("focus is on #%s, want #reschedule-start", id)
	}
	if startValue := b.value("#reschedule-start"); startValue != day+"T10:00" {
		t.Errorf("reschedule input starts at %q; want %sT10:00", startValue, day)
	}
	// The datetime-local widget's keyboard entry depends on the locale; set its value as a picker would.
	b.setValue("#reschedule-start", day+"T11:30")
	b.click("#reschedule-submit")
	b.waitText("#details-notice", "Moved to Jun 2, 2026, 11:30 AM, party of 1.")
	if got := f.booking(t, f.ada.ID); !got.Start.Equal(time.Date(2026, 6, 2, 11, 30, 0, 0, f.la)) {
		t.Errorf("stored Ada starts at %s, want 11:30 in Los Angeles", got.Start.In(f.la))
	}
	b.click("#details-close")
	b.waitRow("Ada's row to show 11:30", f.ada.ID, func(r row) bool { return r.Time == "11:30 AM" })

	// The status filter.
	b.choose("#status-filter", "PENDING")
	b.waitFor("only pending bookings", func(ctx context.Context) (bool, error) {
		rows := b.rows()
		return len(rows) == 1 && rows[0].ID == f.xss.ID, nil
	})
	if u := b.location(); !strings.Contains(u, "status=PENDING") {
		t.Errorf("the URL does not keep the filter: %s", u)
	}

	b.choose("#status-filter", "")
	b.waitFor("all bookings again", func(context.Context) (bool, error) { return len(b.rows()) == 7, nil })

	// The next and previous days.
	b.click("#next-day")
	b.waitFor("the next day's booking", func(context.Context) (bool, error) {
		rows := b.rows()
		return len(rows) == 1 && rows[0].Name == "Barbara Liskov", nil
	})
	if u := b.location(); !strings.Contains(u, "date=2026-06-03") {
		t.Errorf("the URL does not follow the date: %s", u)
	}
	b.click("#prev-day")
	b.waitFor("the first day again", func(context.Context) (bool, error) { return len(b.rows()) == 7, nil })

	// A phone-sized window.
	b.run("a phone-sized window", chromedp.EmulateViewport(390, 844))
	if eval[bool](b, "document.documentElement.scrollWidth > window.innerWidth + 1") {
		t.Error("the page scrolls sideways on a phone")
	}
	b.screenshot("day-phone")

	// Without a merchant or date in the URL, the page shows the API's default merchant (the first, by the name
	// GET /admin/v1/merchants gives) on today's date in that merchant's time zone (Los Angeles).
	before := time.Now().In(f.la).Format(time.DateOnly)
	b.navigate(f.srv.URL + "/admin/")
	b.waitText("#merchant-name", "Sample Bistro")
	after := time.Now().In(f.la).Format(time.DateOnly)
	if dateValue := b.value("#date"); dateValue != before && dateValue != after {
		t.Errorf("date input = %q; want today in Los Angeles, %s", dateValue, after)
	}
	b.waitDisplayed("#empty")
	if got := b.text("#empty"); got != "No reservations on this day." {
		t.Errorf("empty day reads %q", got)
	}

	// Sign out: the sign-in form again, nothing kept.
	b.click("#sign-out")
	b.waitDisplayed("#username")
	if n := b.sessionStorageLen(); n != 0 {
		t.Errorf("sessionStorage has %d items after sign-out", n)
	}
	if rows := b.rows(); len(rows) != 0 {
		t.Errorf("%d bookings stay in the page after sign-out", len(rows))
	}

	// Credentials that stop working (the password was rotated while the tab kept the old one) bring the
	// sign-in form back with a message.
	eval[chromedp.Void](b, "sessionStorage.setItem('reservations.admin.auth', 'Basic ' + btoa('staff:old password')); sessionStorage.setItem('reservations.admin.user', 'staff');")
	b.run("reload", chromedp.Reload())
	b.waitText("#alert", "Your sign-in is no longer accepted (the staff password may have changed). Please sign in again.")
	if !b.displayed("#username") || b.displayed("#day") {
		t.Error("the sign-in form is not shown after a 401")
	}
	if n := b.sessionStorageLen(); n != 0 {
		t.Errorf("sessionStorage keeps %d items after a 401", n)
	}
	if user := b.value("#username"); user != "staff" {
		t.Errorf("username field = %q; want it kept for convenience", user)
	}

	// With an API that lists merchants, a selector offers them; the first is the default.
	b.navigate(f.srv.URL + "/admin/?date=" + day)
	b.waitDisplayed("#username")
	b.typeInto("#username", staffUser)
	b.typeInto("#password", staffPassword)
	b.click("#signin-submit")
	b.waitDisplayed("#merchant-field")
	b.waitText("#merchant-name", "Sample Bistro")
	options := eval[[]string](b, "[...document.querySelectorAll('#merchant option')].map((o) => o.value + '=' + o.textContent)")
	if want := []string{"sample-bistro=Sample Bistro", "sample-salon=Sample Salon"}; !reflect.DeepEqual(options, want) {
		t.Errorf("merchant options = %q, want %q", options, want)
	}
	b.waitFor("the bistro's booking", func(context.Context) (bool, error) {
		rows := b.rows()
		return len(rows) == 1 && rows[0].Name == "John Backus" && rows[0].Time == "7:00 PM", nil
	})
	b.choose("#merchant", "sample-salon")
	b.waitText("#merchant-name", "Sample Salon")
	b.waitFor("the salon's bookings", func(context.Context) (bool, error) { return len(b.rows()) == 7, nil })
	if u := b.location(); !strings.Contains(u, "merchant=sample-salon") {
		t.Errorf("the URL does not follow the merchant: %s", u)
	}

	// The console has no script errors or Content-Security-Policy violations (failed requests, such as the
	// 401 and 409 above, are expected).
	for _, m := range b.consoleErrors() {
		t.Errorf("browser console: %s", m)
	}
	if d := b.openedDialogs(); len(d) != 0 {
		t.Errorf("JavaScript dialogs opened: %q", d)
	}
	t.Logf("screenshots: %s", strings.Join(b.shots, ", "))
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}
