package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func newEngine() http.Handler { return New() }

func do(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func embedded(t *testing.T, name string) string {
	t.Helper()
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func version(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:8])
}

func wantSecurityHeaders(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestRoutes(t *testing.T) {
	e := newEngine()
	js, css := embedded(t, "app.js"), embedded(t, "app.css")
	jsV, cssV := version(js), version(css)
	tests := []struct {
		name         string
		method       string
		target       string
		header       http.Header
		status       int
		contentType  string
		cache        string
		location     string
		body         string // exact body, when not empty
		bodyContains []string
		emptyBody    bool
	}{
		{name: "redirect", method: "GET", target: "/admin", status: 301, location: "/admin/"},
		{name: "redirect keeps the query", method: "GET", target: "/admin?merchant=sample-salon&date=2026-06-02",
			status: 301, location: "/admin/?merchant=sample-salon&date=2026-06-02"},
		{name: "page", method: "GET", target: "/admin/", status: 200, contentType: "text/html; charset=utf-8",
			cache: "no-cache", bodyContains: []string{
				`<script type="module" src="/admin/assets/app.js?v=` + jsV + `"></script>`,
				`<link rel="stylesheet" href="/admin/assets/app.css?v=` + cssV + `">`,
				`<div id="alert" class="alert" role="alert"></div>`,
				`<label for="username">Username</label>`,
			}},
		{name: "page with query", method: "GET", target: "/admin/?date=2026-06-02", status: 200,
			contentType: "text/html; charset=utf-8", cache: "no-cache"},
		{name: "page HEAD", method: "HEAD", target: "/admin/", status: 200, contentType: "text/html; charset=utf-8",
			cache: "no-cache", emptyBody: true},
		{name: "script, versioned", method: "GET", target: "/admin/assets/app.js?v=" + jsV, status: 200,
			contentType: "text/javascript; charset=utf-8", cache: "public, max-age=31536000, immutable", body: js},
		{name: "script, unversioned", method: "GET", target: "/admin/assets/app.js", status: 200,
			contentType: "text/javascript; charset=utf-8", cache: "no-cache", body: js},
		{name: "script, old version", method: "GET", target: "/admin/assets/app.js?v=0123456789abcdef", status: 200,
			contentType: "text/javascript; charset=utf-8", cache: "no-cache", body: js},
		{name: "style sheet", method: "GET", target: "/admin/assets/app.css?v=" + cssV, status: 200,
			contentType: "text/css; charset=utf-8", cache: "public, max-age=31536000, immutable", body: css},
		{name: "revalidation", method: "GET", target: "/admin/assets/app.css",
			header: http.Header{"If-None-Match": {`"` + cssV + `"`}}, status: 304, emptyBody: true},
		{name: "page revalidation", method: "GET", target: "/admin/",
			header: http.Header{"If-None-Match": {`"` + version(pageBody(t, e)) + `"`}}, status: 304, emptyBody: true},
		{name: "unknown asset", method: "GET", target: "/admin/assets/nope.js", status: 404,
			body: `{"error":{"code":404,"reason":"NOT_FOUND","message":"not found","requestId":""}}` + "\n"},
		{name: "the page is not an asset", method: "GET", target: "/admin/assets/index.html", status: 404},
		{name: "assets directory", method: "GET", target: "/admin/assets/", status: 404},
		{name: "nested asset path", method: "GET", target: "/admin/assets/static/app.js", status: 404},
		{name: "escaped parent", method: "GET", target: "/admin/assets/..%2fweb.go", status: 404},
		{name: "wrong method", method: "POST", target: "/admin/", status: 405,
			body: `{"error":{"code":405,"reason":"UNIMPLEMENTED","message":"method not allowed","requestId":""}}` + "\n"},
		{name: "unknown path", method: "GET", target: "/admin/other", status: 404,
			body: `{"error":{"code":404,"reason":"NOT_FOUND","message":"not found","requestId":""}}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, e, tc.method, tc.target, tc.header)
			if rec.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d\n%s", tc.method, tc.target, rec.Code, tc.status, rec.Body)
			}
			wantSecurityHeaders(t, rec)
			if tc.contentType != "" {
				if got := rec.Header().Get("Content-Type"); got != tc.contentType {
					t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
				}
			}
			if tc.cache != "" {
				if got := rec.Header().Get("Cache-Control"); got != tc.cache {
					t.Errorf("Cache-Control = %q, want %q", got, tc.cache)
				}
				if rec.Header().Get("ETag") == "" {
					t.Error("no ETag")
				}
			}
			if tc.location != "" {
				if got := rec.Header().Get("Location"); got != tc.location {
					t.Errorf("Location = %q, want %q", got, tc.location)
				}
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("body = %q, want %q", truncate(rec.Body.String()), truncate(tc.body))
			}
			for _, s := range tc.bodyContains {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("body does not contain %q", s)
				}
			}
			if tc.emptyBody && rec.Body.Len() != 0 {
				t.Errorf("body = %q, want none", truncate(rec.Body.String()))
			}
		})
	}
}

func pageBody(t *testing.T, h http.Handler) string {
	t.Helper()
	return do(t, h, "GET", "/admin/", nil).Body.String()
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// TestOverRealHTTP checks what a browser gets over a real connection: the page's Content-Length and a
// HEAD answer without a body.
func TestOverRealHTTP(t *testing.T) {
	srv := httptest.NewServer(newEngine())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/admin/" {
		t.Fatalf("GET /admin ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
	if resp.ContentLength != int64(len(body)) || !strings.HasPrefix(string(body), "<!doctype html>") {
		t.Errorf("Content-Length %d for a body of %d bytes starting %q", resp.ContentLength, len(body), truncate(string(body)))
	}
	head, err := srv.Client().Head(srv.URL + "/admin/assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 200 || head.ContentLength != int64(len(embedded(t, "app.js"))) {
		t.Errorf("HEAD app.js = %d with Content-Length %d", head.StatusCode, head.ContentLength)
	}
}

// TestPageHasNoInlineCode holds the page to its Content-Security-Policy and to text-only rendering:
// scripts only from files, no inline styles or event handler attributes, and a script that never parses
// strings as HTML.
func TestPageHasNoInlineCode(t *testing.T) {
	html := embedded(t, "index.html")
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script: %q", m[0])
		}
	}
	if regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`).MatchString(html) {
		t.Error("index.html has an event handler attribute")
	}
	if regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=|<style`).MatchString(html) {
		t.Error("index.html has inline style")
	}
	js := embedded(t, "app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
		"new Function", "setAttribute('style'", ".style."} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	// Every id the script looks up exists in the page.
	for _, m := range regexp.MustCompile(`\$\('([a-z-]+)'\)|setText\('([a-z-]+)'`).FindAllStringSubmatch(js, -1) {
		id := m[1] + m[2]
		if !strings.Contains(html, `id="`+id+`"`) {
			t.Errorf("app.js uses #%s, which index.html does not have", id)
		}
	}
}

func TestLoad(t *testing.T) {
	good := fstest.MapFS{
		"static/index.html": {Data: []byte(`<link href="/admin/assets/a.css"><script src="/admin/assets/a.js"></script>`)},
		"static/a.js":       {Data: []byte("x")},
		"static/a.css":      {Data: []byte("y")},
	}
	s, err := load(good)
	if err != nil {
		t.Fatal(err)
	}
	want := `<link href="/admin/assets/a.css?v=` + version("y") + `"><script src="/admin/assets/a.js?v=` + version("x") + `"></script>`
	if got := string(s.index.body); got != want {
		t.Errorf("index = %s, want %s", got, want)
	}
	if len(s.assets) != 2 || s.assets["a.js"].contentType != "text/javascript; charset=utf-8" {
		t.Errorf("assets = %v", s.assets)
	}

	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"no index", fstest.MapFS{"static/a.js": {Data: []byte("x")}}, "index.html"},
		{"unknown type", fstest.MapFS{"static/index.html": {}, "static/a.exe": {}}, "a.exe: no content type"},
		{"no static directory", fstest.MapFS{}, "read static"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load(tc.fs); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
