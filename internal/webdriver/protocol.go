package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// W3C error codes ([Error.Code]) that tests commonly check for.
const (
	CodeNoSuchElement       = "no such element"
	CodeStaleElement        = "stale element reference"
	CodeNoSuchAlert         = "no such alert"
	CodeElementNotInteract  = "element not interactable"
	CodeElementClickBlocked = "element click intercepted"
	CodeInvalidSelector     = "invalid selector"
	CodeJavaScriptError     = "javascript error"
	CodeTimeout             = "timeout"
)

// elementKey is the JSON key of a web element reference (W3C WebDriver §12.1).
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// Error is an error answered by the driver: {"value":{"error":…,"message":…}} with a 4xx or 5xx status.
type Error struct {
	HTTPStatus int    // the HTTP status of the answer
	Code       string // the W3C error code, such as "no such element"
	Message    string // the driver's explanation
}

func (e *Error) Error() string {
	msg := e.Message
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("webdriver: %s (HTTP %d): %s", e.Code, e.HTTPStatus, msg)
}

// IsCode reports whether err is (or wraps) a driver [Error] with the code.
func IsCode(err error, code string) bool {
	var we *Error
	return errors.As(err, &we) && we.Code == code
}

// do sends one protocol request: body (if not nil) as JSON, and decodes the answer's "value" into out (if
// not nil).
func (d *Driver) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("webdriver: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.URL+path, rd)
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("webdriver: read answer of %s %s: %w", method, path, err)
	}
	if err := decodeResponse(resp.StatusCode, data, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// decodeResponse reads a protocol answer: an error for a non-2xx status, else "value" into out.
func decodeResponse(status int, data []byte, out any) error {
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	jerr := json.Unmarshal(data, &env)
	if status < 200 || status > 299 {
		e := &Error{HTTPStatus: status, Code: "unknown error", Message: strings.TrimSpace(string(data))}
		var v struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if jerr == nil && json.Unmarshal(env.Value, &v) == nil && v.Error != "" {
			e.Code, e.Message = v.Error, v.Message
		}
		if len(e.Message) > 2000 {
			e.Message = e.Message[:2000]
		}
		return e
	}
	if jerr != nil {
		return fmt.Errorf("webdriver: malformed answer: %w", jerr)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Value, out); err != nil {
		return fmt.Errorf("webdriver: decode value: %w", err)
	}
	return nil
}

// ChromeOptions is the "goog:chromeOptions" capability.
type ChromeOptions struct {
	Binary string         `json:"binary,omitempty"` // the browser executable; empty lets chromedriver look
	Args   []string       `json:"args,omitempty"`
	Prefs  map[string]any `json:"prefs,omitempty"`
}

// HeadlessChromiumArgs are the command-line arguments for a headless Chromium that runs in a container or as
// root, with nothing reaching the network on its own, using userDataDir as its profile (use a test's temp
// directory).
func HeadlessChromiumArgs(userDataDir string) []string {
	return []string{
		"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-default-browser-check", "--window-size=1280,900", "--user-data-dir=" + userDataDir,
	}
}

// Capabilities are what NewSession asks for.
type Capabilities struct {
	BrowserName string         // default "chrome"
	Chrome      *ChromeOptions // goog:chromeOptions
	// BrowserLog asks chromedriver to keep the browser console (for [Session.BrowserLog]).
	BrowserLog bool
	// PageLoadTimeout and ScriptTimeout are the session's timeouts; zero keeps the driver's defaults.
	PageLoadTimeout, ScriptTimeout time.Duration
}

func (c Capabilities) wire() map[string]any {
	m := map[string]any{"browserName": c.BrowserName}
	if c.BrowserName == "" {
		m["browserName"] = "chrome"
	}
	if c.Chrome != nil {
		m["goog:chromeOptions"] = c.Chrome
	}
	if c.BrowserLog {
		m["goog:loggingPrefs"] = map[string]string{"browser": "ALL"}
	}
	timeouts := map[string]int64{}
	if c.PageLoadTimeout > 0 {
		timeouts["pageLoad"] = c.PageLoadTimeout.Milliseconds()
	}
	if c.ScriptTimeout > 0 {
		timeouts["script"] = c.ScriptTimeout.Milliseconds()
	}
	if len(timeouts) > 0 {
		m["timeouts"] = timeouts
	}
	return map[string]any{"capabilities": map[string]any{"alwaysMatch": m}}
}

// Session is one browser session. Delete ends it.
type Session struct {
	ID string
	d  *Driver
}

// NewSession starts a browser with the capabilities.
func (d *Driver) NewSession(ctx context.Context, caps Capabilities) (*Session, error) {
	var v struct {
		SessionID string `json:"sessionId"`
	}
	if err := d.do(ctx, http.MethodPost, "/session", caps.wire(), &v); err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	if v.SessionID == "" {
		return nil, errors.New("webdriver: new session: the driver answered no session id")
	}
	return &Session{ID: v.SessionID, d: d}, nil
}

func (s *Session) path(p string) string { return "/session/" + url.PathEscape(s.ID) + p }

func (s *Session) do(ctx context.Context, method, p string, body, out any) error {
	return s.d.do(ctx, method, s.path(p), body, out)
}

// Delete ends the session and closes its browser.
func (s *Session) Delete(ctx context.Context) error {
	return s.d.do(ctx, http.MethodDelete, s.path(""), nil, nil)
}

// Navigate loads a URL and waits for the page load to complete.
func (s *Session) Navigate(ctx context.Context, u string) error {
	return s.do(ctx, http.MethodPost, "/url", map[string]string{"url": u}, nil)
}

// URL returns the current page's URL.
func (s *Session) URL(ctx context.Context) (string, error) {
	var u string
	err := s.do(ctx, http.MethodGet, "/url", nil, &u)
	return u, err
}

// Title returns the current page's title.
func (s *Session) Title(ctx context.Context) (string, error) {
	var t string
	err := s.do(ctx, http.MethodGet, "/title", nil, &t)
	return t, err
}

// Refresh reloads the current page.
func (s *Session) Refresh(ctx context.Context) error {
	return s.do(ctx, http.MethodPost, "/refresh", map[string]any{}, nil)
}

// SetWindowSize resizes the browser window (CSS pixels), e.g. to a phone's 390×844.
func (s *Session) SetWindowSize(ctx context.Context, width, height int) error {
	return s.do(ctx, http.MethodPost, "/window/rect", map[string]int{"width": width, "height": height}, nil)
}

// FindElement returns the first element matching a CSS selector, or an [Error] with [CodeNoSuchElement].
func (s *Session) FindElement(ctx context.Context, css string) (*Element, error) {
	return findOne(ctx, s, "/element", css)
}

// FindElements returns every element matching a CSS selector (none is not an error).
func (s *Session) FindElements(ctx context.Context, css string) ([]*Element, error) {
	return findAll(ctx, s, "/elements", css)
}

// ActiveElement returns the element that has the focus.
func (s *Session) ActiveElement(ctx context.Context) (*Element, error) {
	var ref map[string]string
	if err := s.do(ctx, http.MethodGet, "/element/active", nil, &ref); err != nil {
		return nil, err
	}
	return s.element(ref)
}

// Execute runs a synchronous script in the page (its body: use `return …` and arguments[i]) and decodes
// the returned value into out (if not nil). Elements may be passed as arguments.
func (s *Session) Execute(ctx context.Context, script string, out any, args ...any) error {
	wire := make([]any, len(args))
	for i, a := range args {
		if e, ok := a.(*Element); ok {
			wire[i] = map[string]string{elementKey: e.ID}
			continue
		}
		wire[i] = a
	}
	return s.do(ctx, http.MethodPost, "/execute/sync", map[string]any{"script": script, "args": wire}, out)
}

// AlertText returns the text of the open alert, confirm or prompt dialog, or an [Error] with
// [CodeNoSuchAlert] when none is open.
func (s *Session) AlertText(ctx context.Context) (string, error) {
	var t string
	err := s.do(ctx, http.MethodGet, "/alert/text", nil, &t)
	return t, err
}

// DismissAlert dismisses the open dialog.
func (s *Session) DismissAlert(ctx context.Context) error {
	return s.do(ctx, http.MethodPost, "/alert/dismiss", map[string]any{}, nil)
}

// Screenshot returns a PNG of the current viewport.
func (s *Session) Screenshot(ctx context.Context) ([]byte, error) {
	var b64 string
	if err := s.do(ctx, http.MethodGet, "/screenshot", nil, &b64); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webdriver: decode screenshot: %w", err)
	}
	return png, nil
}

// LogEntry is one line of the browser console.
type LogEntry struct {
	Level     string `json:"level"` // SEVERE, WARNING, INFO, DEBUG
	Message   string `json:"message"`
	Source    string `json:"source"`
	Timestamp int64  `json:"timestamp"` // milliseconds since the Unix epoch
}

// BrowserLog returns (and clears) the browser console entries chromedriver collected since the last call;
// the session needs [Capabilities.BrowserLog]. This is chromedriver's extension of the protocol.
func (s *Session) BrowserLog(ctx context.Context) ([]LogEntry, error) {
	var entries []LogEntry
	err := s.do(ctx, http.MethodPost, "/se/log", map[string]string{"type": "browser"}, &entries)
	return entries, err
}

// Element is a reference to an element of the page. It goes stale when the page replaces the element.
type Element struct {
	ID string
	s  *Session
}

func (s *Session) element(ref map[string]string) (*Element, error) {
	id := ref[elementKey]
	if id == "" {
		return nil, errors.New("webdriver: the driver answered no element reference")
	}
	return &Element{ID: id, s: s}, nil
}

type finder interface {
	do(ctx context.Context, method, p string, body, out any) error
	session() *Session
}

func (s *Session) session() *Session { return s }

func findOne(ctx context.Context, f finder, p, css string) (*Element, error) {
	var ref map[string]string
	if err := f.do(ctx, http.MethodPost, p, map[string]string{"using": "css selector", "value": css}, &ref); err != nil {
		return nil, fmt.Errorf("find %q: %w", css, err)
	}
	return f.session().element(ref)
}

func findAll(ctx context.Context, f finder, p, css string) ([]*Element, error) {
	var refs []map[string]string
	if err := f.do(ctx, http.MethodPost, p, map[string]string{"using": "css selector", "value": css}, &refs); err != nil {
		return nil, fmt.Errorf("find all %q: %w", css, err)
	}
	out := make([]*Element, 0, len(refs))
	for _, r := range refs {
		e, err := f.session().element(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (e *Element) do(ctx context.Context, method, p string, body, out any) error {
	return e.s.do(ctx, method, "/element/"+url.PathEscape(e.ID)+p, body, out)
}

func (e *Element) session() *Session { return e.s }

// FindElement returns the first descendant matching a CSS selector.
func (e *Element) FindElement(ctx context.Context, css string) (*Element, error) {
	return findOne(ctx, e, "/element", css)
}

// FindElements returns the descendants matching a CSS selector.
func (e *Element) FindElements(ctx context.Context, css string) ([]*Element, error) {
	return findAll(ctx, e, "/elements", css)
}

// Click scrolls the element into view and clicks its centre.
func (e *Element) Click(ctx context.Context) error {
	return e.do(ctx, http.MethodPost, "/click", map[string]any{}, nil)
}

// SendKeys focuses the element and types text into it.
func (e *Element) SendKeys(ctx context.Context, text string) error {
	return e.do(ctx, http.MethodPost, "/value", map[string]string{"text": text}, nil)
}

// Clear empties an editable element.
func (e *Element) Clear(ctx context.Context) error {
	return e.do(ctx, http.MethodPost, "/clear", map[string]any{}, nil)
}

// Text returns the element's rendered text (as a user sees it: hidden parts excluded).
func (e *Element) Text(ctx context.Context) (string, error) {
	var t string
	err := e.do(ctx, http.MethodGet, "/text", nil, &t)
	return t, err
}

// TagName returns the element's tag name, lower case.
func (e *Element) TagName(ctx context.Context) (string, error) {
	var t string
	err := e.do(ctx, http.MethodGet, "/name", nil, &t)
	return t, err
}

// Property returns a DOM property (value, checked, hidden, textContent, …) decoded into out.
func (e *Element) Property(ctx context.Context, name string, out any) error {
	return e.do(ctx, http.MethodGet, "/property/"+url.PathEscape(name), nil, out)
}

// Attribute returns an attribute's value, and false when the element does not have it.
func (e *Element) Attribute(ctx context.Context, name string) (string, bool, error) {
	var v *string
	if err := e.do(ctx, http.MethodGet, "/attribute/"+url.PathEscape(name), nil, &v); err != nil {
		return "", false, err
	}
	if v == nil {
		return "", false, nil
	}
	return *v, true, nil
}

// Enabled reports whether a form control is enabled.
func (e *Element) Enabled(ctx context.Context) (bool, error) {
	var b bool
	err := e.do(ctx, http.MethodGet, "/enabled", nil, &b)
	return b, err
}

// Displayed reports whether the element is visible (chromedriver's extension of the protocol).
func (e *Element) Displayed(ctx context.Context) (bool, error) {
	var b bool
	err := e.do(ctx, http.MethodGet, "/displayed", nil, &b)
	return b, err
}

// WaitUntil calls cond every interval until it returns true, an error that is not worth retrying, or ctx
// ends. Errors from cond with the codes [CodeNoSuchElement] and [CodeStaleElement] (the page is still
// changing) are retried; on timeout the last such error, if any, is included.
func WaitUntil(ctx context.Context, interval time.Duration, cond func(ctx context.Context) (bool, error)) error {
	if interval <= 0 {
		interval = 50 * time.Millisecond
	}
	t := time.NewTimer(0)
	defer t.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("webdriver: wait: %w (last: %w)", ctx.Err(), last)
			}
			return fmt.Errorf("webdriver: wait: %w", ctx.Err())
		case <-t.C:
		}
		ok, err := cond(ctx)
		switch {
		case err == nil && ok:
			return nil
		case err == nil:
			last = nil
		case IsCode(err, CodeNoSuchElement) || IsCode(err, CodeStaleElement):
			last = err
		case ctx.Err() != nil:
			return fmt.Errorf("webdriver: wait: %w (last: %w)", ctx.Err(), err)
		default:
			return err
		}
		t.Reset(interval)
	}
}
