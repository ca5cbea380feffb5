package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reservations/reservations/booking"
)

// formAttackJS builds a form posting to action with enctype and the given name/value fields, and submits it:
// what a page on another site does to drive the staff's browser.
const formAttackJS = `(action, enctype, fields) => {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = action;
  form.enctype = enctype;
  for (const [name, value] of fields) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}`

// fetchAttackJS posts a cancellation to url with the browser's credentials, in mode, with the Content-Type ct
// ("" for the browser's own: text/plain), and says how it ended.
const fetchAttackJS = `async (url, mode, ct) => {
  const headers = ct ? { 'Content-Type': ct } : {};
  try {
    const res = await fetch(url, { method: 'POST', mode, credentials: 'include', headers, body: '{"status":"CANCELLED"}' });
    return 'answered ' + res.type + ' ' + res.status;
  } catch (e) {
    return 'failed: ' + e.name;
  }
}`

// TestCrossOriginWriteInBrowser has the staff's browser hold their credentials for the service (signed in
// through the browser's own Basic prompt, as a URL with credentials does), then visit a page on another
// origin that posts cancellations to the staff API: forms with text/plain (a JSON-looking body),
// urlencoded and multipart bodies, and fetches with credentials. The server receives the forms with the
// staff's credentials and answers 403; the JSON fetch stops at the browser's preflight; the booking never
// changes.
func TestCrossOriginWriteInBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	f := newFixture(t)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Elsewhere</title><p>Win a free dinner!</p>"))
	}))
	t.Cleanup(elsewhere.Close)
	b := startBrowser(t, ctx)

	// The staff's browser holds their credentials for the service's origin.
	api, err := url.Parse(f.srv.URL + "/admin/v1/merchants")
	if err != nil {
		t.Fatal(err)
	}
	api.User = url.UserPassword(staffUser, staffPassword)
	b.navigate(api.String())
	if body := eval[string](b, "document.body.innerText"); !strings.Contains(body, `"merchants"`) {
		t.Fatalf("signed in through the browser's prompt, the API answers %q", body)
	}

	target := f.srv.URL + "/admin/v1/bookings/" + f.alan.ID + "/status"
	// Another site (localhost is not 127.0.0.1) and another origin of the same site (another port).
	port := elsewhere.Listener.Addr().(*net.TCPAddr).Port
	origins := []string{fmt.Sprintf("http://localhost:%d", port), elsewhere.URL}
	forms := []struct {
		name, enctype string
		fields        [][2]string
	}{
		{"text/plain form with a JSON-looking body", "text/plain", [][2]string{{`{"status":"CANCELLED","reason":"`, `"}`}}},
		{"urlencoded form", "application/x-www-form-urlencoded", [][2]string{{"status", "CANCELLED"}}},
		{"multipart form", "multipart/form-data", [][2]string{{"status", "CANCELLED"}}},
	}
	for _, origin := range origins {
		for _, fm := range forms {
			b.navigate(origin + "/")
			n := len(f.recorded())
			eval[chromedp.Void](b, call(formAttackJS, target, fm.enctype, fm.fields))
			b.waitFor("the "+fm.name+" from "+origin+" to reach the server", func(context.Context) (bool, error) {
				return len(f.recorded()) > n, nil
			})
			w := f.recorded()[n]
			if w.path != "/admin/v1/bookings/"+f.alan.ID+"/status" || !w.staff || w.status != http.StatusForbidden ||
				w.secFetchSite == "same-origin" || !strings.HasPrefix(w.contentType, fm.enctype) {
				t.Errorf("%s from %s reached the server as %+v, want it with the staff's credentials, answered 403", fm.name, origin, w)
			}
			b.waitFor("the browser to show the answer", func(ctx context.Context) (bool, error) {
				loc, err := chromedp.Run(ctx, chromedp.Location())
				return loc == target, err
			})
		}
		b.navigate(origin + "/")
		for _, ft := range []struct{ mode, contentType, want string }{
			// A simple request: sent (with whatever credentials the browser attaches), its answer opaque.
			{"no-cors", "", "answered opaque 0"},
			// Not simple: the browser asks first (OPTIONS), is granted nothing and never sends the POST.
			{"cors", "application/json", "failed: TypeError"},
		} {
			n := len(f.recorded())
			got := get(b, "fetch", chromedp.Evaluate[string](call(fetchAttackJS, target, ft.mode, ft.contentType), chromedp.EvalAwaitPromise))
			if got != ft.want {
				t.Errorf("%s fetch from %s: %s, want %s", ft.mode, origin, got, ft.want)
			}
			for _, w := range f.recorded()[n:] {
				if w.status < 400 {
					t.Errorf("%s fetch from %s reached the server as %+v, answered with success", ft.mode, origin, w)
				}
				t.Logf("%s fetch from %s: %+v", ft.mode, origin, w)
			}
		}
	}
	if got := f.booking(t, f.alan.ID); got.Status != booking.StatusConfirmed || got.Version != f.alan.Version {
		t.Errorf("after the other origins' posts the booking is %s v%d, want it unchanged (CONFIRMED v%d)", got.Status, got.Version, f.alan.Version)
	}
	for _, m := range b.consoleErrors() {
		t.Logf("browser console: %s", m)
	}
}
