// Package web serves the merchant staff's admin page: one static HTML page with its script and style sheet,
// embedded in the binary, that signs staff in and drives the staff JSON API under /admin/v1 (package
// booking/admin) from the browser.
//
// The page holds no data and needs no authentication: it asks for the staff credentials, keeps them in the
// tab's sessionStorage and sends them as HTTP basic authentication on every API call. Everything it shows
// comes from the API; customer names and other booking fields are untrusted and only ever set as text.
//
// [Site] is an http.Handler routing with the standard library's ServeMux; cmd mounts it on the service's engine
// with the patterns [Site.Patterns] lists (GET and HEAD of each):
//
//	GET /admin                 301 to /admin/ (the query is kept)
//	GET /admin/                the page (index.html)
//	GET /admin/assets/{name}   app.js, app.css
//
// Other paths answer 404 and other methods 405, with the JSON error body of package httperr: the page has no
// state-changing route (the staff API in package admin refuses changes from other origins itself), and its
// script calls the API same-origin with Content-Type: application/json. Every answer carries a Content-Security-Policy that allows only this origin's scripts, styles and
// connections (no inline script), X-Content-Type-Options: nosniff, X-Frame-Options: DENY and
// Referrer-Policy: no-referrer. The page links its assets with a ?v= content hash: such a request is cached
// for a year (immutable); the page itself and unversioned asset requests are revalidated each time (ETag).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/reservations/reservations/httperr"
)

// Paths the page is served at.
const (
	// PagePath is the page's URL path.
	PagePath = "/admin/"
	// AssetsPath is the URL path prefix of the page's script and style sheet.
	AssetsPath = "/admin/assets/"
)

// ContentSecurityPolicy is sent with the page and its assets: same-origin scripts, styles, images and API
// calls only, no inline script or style, no plugins, no framing, forms posting only to this origin.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Cache-Control values.
const (
	cacheRevalidate = "no-cache"
	cacheImmutable  = "public, max-age=31536000, immutable"
)

//go:embed static
var static embed.FS

// contentTypes are the media types of the embedded files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// file is one embedded file ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string // strong ETag: a prefix of the body's SHA-256
	version     string // the ?v= value the page links it with
}

// Site is the page and its assets, loaded once by [New], and the http.Handler that serves them.
type Site struct {
	index  file
	assets map[string]file
	mux    *http.ServeMux
}

// methods are the HTTP methods every route of the page answers.
var methods = []string{http.MethodGet, http.MethodHead}

// New returns the page's handler over the embedded files.
func New() *Site {
	s, err := load(static)
	if err != nil {
		// The files are compiled into the binary and a test loads them: this cannot happen at run time.
		panic(fmt.Sprintf("web: embedded admin page: %v", err))
	}
	s.mux = http.NewServeMux()
	for _, rt := range s.routes() {
		for _, m := range methods {
			s.mux.HandleFunc(m+" "+rt.path, rt.h)
		}
		s.mux.Handle(rt.path, methodNotAllowed(strings.Join(methods, ", ")))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httperr.Write(w, r, http.StatusNotFound, httperr.Reason(http.StatusNotFound), "not found")
	})
	return s
}

// route is a ServeMux path pattern and its handler.
type route struct {
	path string
	h    http.HandlerFunc
}

func (s *Site) routes() []route {
	return []route{
		{"/admin", redirect},
		{PagePath + "{$}", s.page},
		{AssetsPath + "{name...}", s.asset},
	}
}

// Patterns returns the ServeMux patterns of the page's routes, with their methods ("GET /admin/{$}",
// "HEAD /admin/{$}", ...), for mounting the page on another router.
func (s *Site) Patterns() []string {
	var out []string
	for _, rt := range s.routes() {
		for _, m := range methods {
			out = append(out, m+" "+rt.path)
		}
	}
	return out
}

// ServeHTTP serves the page and its assets, with the security headers on every answer.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// methodNotAllowed answers 405 with the Allow header.
func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		httperr.Write(w, r, http.StatusMethodNotAllowed, httperr.Reason(http.StatusMethodNotAllowed), "method not allowed")
	})
}

// load reads the embedded files and links index.html to its assets by content hash.
func load(fsys fs.FS) (*Site, error) {
	s := &Site{assets: map[string]file{}}
	entries, err := fs.ReadDir(fsys, "static")
	if err != nil {
		return nil, fmt.Errorf("read static: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "index.html" {
			continue
		}
		f, err := readFile(fsys, name)
		if err != nil {
			return nil, err
		}
		s.assets[name] = f
	}
	idx, err := readFile(fsys, "index.html")
	if err != nil {
		return nil, err
	}
	html := string(idx.body)
	for name, f := range s.assets {
		ref := `"` + AssetsPath + name + `"`
		if !strings.Contains(html, ref) {
			continue
		}
		html = strings.ReplaceAll(html, ref, `"`+AssetsPath+name+"?v="+f.version+`"`)
	}
	s.index = newFile([]byte(html), idx.contentType)
	return s, nil
}

func readFile(fsys fs.FS, name string) (file, error) {
	body, err := fs.ReadFile(fsys, path.Join("static", name))
	if err != nil {
		return file{}, fmt.Errorf("read %s: %w", name, err)
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		return file{}, fmt.Errorf("%s: no content type for its extension", name)
	}
	return newFile(body, ct), nil
}

func newFile(body []byte, contentType string) file {
	sum := sha256.Sum256(body)
	v := hex.EncodeToString(sum[:8])
	return file{body: body, contentType: contentType, etag: `"` + v + `"`, version: v}
}

// securityHeaders are set on every answer of this package.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

func redirect(w http.ResponseWriter, r *http.Request) {
	to := PagePath
	if q := r.URL.RawQuery; q != "" {
		to += "?" + q
	}
	http.Redirect(w, r, to, http.StatusMovedPermanently)
}

func (s *Site) page(w http.ResponseWriter, r *http.Request) {
	serve(w, r, s.index, cacheRevalidate)
}

func (s *Site) asset(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets[r.PathValue("name")]
	if !ok {
		httperr.Write(w, r, http.StatusNotFound, httperr.Reason(http.StatusNotFound), "not found")
		return
	}
	cache := cacheRevalidate
	if r.URL.Query().Get("v") == f.version {
		cache = cacheImmutable
	}
	serve(w, r, f, cache)
}

// serve writes f with its validators; http.ServeContent answers HEAD, If-None-Match (304) and ranges.
func serve(w http.ResponseWriter, r *http.Request, f file, cache string) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cache)
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
