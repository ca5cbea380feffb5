// Package web serves the merchant staff's admin page: one static HTML page with its script and style sheet,
// embedded in the binary, that signs staff in and drives the staff JSON API under /admin/v1 (package
// booking/admin) from the browser.
//
// The page holds no data and needs no authentication: it asks for the staff credentials, keeps them in the
// tab's sessionStorage and sends them as HTTP basic authentication on every API call. Everything it shows
// comes from the API; customer names and other booking fields are untrusted and only ever set as text.
//
// Routes, mounted by [Register] on the engine's root:
//
//	GET /admin                 301 to /admin/ (the query is kept)
//	GET /admin/                the page (index.html)
//	GET /admin/assets/{name}   app.js, app.css
//
// Every answer carries a Content-Security-Policy that allows only this origin's scripts, styles and
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

	"github.com/gin-gonic/gin"
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

// site is the page and its assets, loaded once by Register.
type site struct {
	index  file
	assets map[string]file
}

// Register mounts the page on r, which must be the engine (or a group at "/"): GET and HEAD /admin,
// /admin/ and /admin/assets/*name.
func Register(r gin.IRouter) {
	s, err := load(static)
	if err != nil {
		// The files are compiled into the binary and a test loads them: this cannot happen at run time.
		panic(fmt.Sprintf("web: embedded admin page: %v", err))
	}
	for _, route := range []struct {
		path string
		h    gin.HandlerFunc
	}{
		{"/admin", redirect},
		{PagePath, s.page},
		{AssetsPath + "*name", s.asset},
	} {
		r.GET(route.path, route.h)
		r.HEAD(route.path, route.h)
	}
}

// load reads the embedded files and links index.html to its assets by content hash.
func load(fsys fs.FS) (*site, error) {
	s := &site{assets: map[string]file{}}
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

func redirect(c *gin.Context) {
	securityHeaders(c.Writer.Header())
	to := PagePath
	if q := c.Request.URL.RawQuery; q != "" {
		to += "?" + q
	}
	c.Redirect(http.StatusMovedPermanently, to)
}

func (s *site) page(c *gin.Context) {
	serve(c, s.index, cacheRevalidate)
}

func (s *site) asset(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("name"), "/")
	f, ok := s.assets[name]
	if !ok {
		securityHeaders(c.Writer.Header())
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": gin.H{"code": http.StatusNotFound, "message": "not found"}})
		return
	}
	cache := cacheRevalidate
	if c.Query("v") == f.version {
		cache = cacheImmutable
	}
	serve(c, f, cache)
}

// serve writes f with its validators; http.ServeContent answers HEAD, If-None-Match (304) and ranges.
func serve(c *gin.Context, f file, cache string) {
	h := c.Writer.Header()
	securityHeaders(h)
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cache)
	h.Set("ETag", f.etag)
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(f.body))
}
