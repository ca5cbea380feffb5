package fulfillment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// MaxUserStorageBytes is the largest user storage Google keeps: 10,000 bytes of the encoded {"data":{…}}
// string.
const MaxUserStorageBytes = 10_000

// ErrUserStorageTooLarge is returned by Storage.Set on user storage when the encoded storage would exceed
// MaxUserStorageBytes; the storage is left unchanged.
var ErrUserStorageTooLarge = errors.New("user storage larger than 10000 bytes")

// Storage is a JSON object kept across turns: the conversation data (Conv.Data) or the user storage
// (Conv.UserStorage). Values are stored as their JSON encoding, so what a handler reads back is exactly what the
// next turn will see. It is written back to Google only when its content changed during the turn.
type Storage struct {
	values map[string]json.RawMessage
	// initial is the canonical encoding when the turn started, taken just before the first change (a storage
	// that is never changed is never encoded).
	initial []byte
	limit   int // maximum encoded size of {"data":…}; 0 for none
	version int // counts changes, for the response cache
	// enc is the canonical encoding at version encAt-1 (encAt 0: none yet): a response asks for it twice, once
	// to see whether anything changed and once to write it.
	enc   []byte
	encAt int
}

// newStorage returns a storage of values (nil for none: the map is made by the first Set).
func newStorage(values map[string]json.RawMessage, limit int) *Storage {
	return &Storage{values: values, limit: limit}
}

// beforeChange records the initial encoding before the first change.
func (s *Storage) beforeChange() {
	if s.initial == nil {
		s.initial = s.encode()
	}
}

// encode returns the canonical encoding of the values: keys sorted, each value as stored (compact JSON). The
// result is shared until the next change: do not modify it.
func (s *Storage) encode() []byte {
	if s.encAt != s.version+1 {
		s.enc, s.encAt = s.canonical(), s.version+1
	}
	return s.enc
}

// canonical computes what encode returns.
func (s *Storage) canonical() []byte {
	b := make([]byte, 0, 64)
	b = append(b, '{')
	for i, k := range s.Keys() {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := json.Marshal(k) // a string always encodes
		b = append(b, name...)
		b = append(b, ':')
		b = append(b, s.values[k]...)
	}
	return append(b, '}')
}

// wrapped returns the {"data":…} form Google stores for user storage and the conversation token.
func (s *Storage) wrapped() string {
	return `{"data":` + string(s.encode()) + `}`
}

// Changed reports whether the content differs from what the turn started with.
func (s *Storage) Changed() bool { return s.version > 0 && !bytes.Equal(s.encode(), s.initial) }

// Len returns the number of keys.
func (s *Storage) Len() int { return len(s.values) }

// Keys returns the keys in sorted order.
func (s *Storage) Keys() []string { return slices.Sorted(maps.Keys(s.values)) }

// Has reports whether key is set.
func (s *Storage) Has(key string) bool {
	_, ok := s.values[key]
	return ok
}

// Get decodes the value of key into dst and reports whether the key was set. An error means the stored value
// does not fit dst.
func (s *Storage) Get(key string, dst any) (bool, error) {
	raw, ok := s.values[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, fmt.Errorf("storage key %q: %w", key, err)
	}
	return true, nil
}

// String returns the value of key when it is a JSON string, else "".
func (s *Storage) String(key string) string {
	var v string
	if ok, err := s.Get(key, &v); !ok || err != nil {
		return ""
	}
	return v
}

// Raw returns the JSON encoding of key's value.
func (s *Storage) Raw(key string) (json.RawMessage, bool) {
	raw, ok := s.values[key]
	return slices.Clone(raw), ok
}

// Map returns the whole object decoded into a new map (JSON numbers become float64).
func (s *Storage) Map() map[string]any {
	out := make(map[string]any, len(s.values))
	for k, raw := range s.values {
		var v any
		if err := json.Unmarshal(raw, &v); err == nil {
			out[k] = v
		}
	}
	return out
}

// Set stores v (anything encoding/json can encode) under key. For user storage it fails with
// ErrUserStorageTooLarge, changing nothing, when the encoded storage would exceed MaxUserStorageBytes.
func (s *Storage) Set(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("storage key %q: %w", key, err)
	}
	old, had := s.values[key]
	if had && bytes.Equal(old, raw) {
		return nil
	}
	s.beforeChange()
	if s.values == nil {
		s.values = map[string]json.RawMessage{}
	}
	s.values[key] = raw
	if s.limit > 0 {
		// Not s.wrapped(): the change is not counted yet, and encode's copy belongs to the version before it.
		if n := len(`{"data":}`) + len(s.canonical()); n > s.limit {
			if had {
				s.values[key] = old
			} else {
				delete(s.values, key)
			}
			return fmt.Errorf("storage key %q: %w (%d bytes)", key, ErrUserStorageTooLarge, n)
		}
	}
	s.version++
	return nil
}

// Delete removes key.
func (s *Storage) Delete(key string) {
	if _, ok := s.values[key]; ok {
		s.beforeChange()
		delete(s.values, key)
		s.version++
	}
}

// Clear removes every key.
func (s *Storage) Clear() {
	if len(s.values) > 0 {
		s.beforeChange()
		clear(s.values)
		s.version++
	}
}

// parseDataObject decodes a JSON object string into storage values. ok is false when raw is not a JSON object.
func parseDataObject(raw string) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, false
	}
	compactValues(m)
	return m, true
}

// compactValues stores the values compact, as Set does, so the canonical encoding does not depend on the
// sender's spacing. The values are valid JSON (unmarshal checked them).
func compactValues(m map[string]json.RawMessage) {
	var buf bytes.Buffer
	for k, v := range m {
		if !bytes.ContainsAny(v, " \t\r\n") {
			continue // Compact only removes whitespace
		}
		buf.Reset()
		if json.Compact(&buf, v) == nil && buf.Len() != len(v) {
			m[k] = bytes.Clone(buf.Bytes())
		}
	}
}

// parseWrapped decodes a {"data":{…}} string (user storage, conversation token). An empty string is an
// empty storage; ok is false when raw is present but not of that form.
func parseWrapped(raw string) (map[string]json.RawMessage, bool) {
	if raw == "" {
		return nil, true
	}
	var w struct {
		Data json.RawMessage `json:"data"`
	}
	if err := unmarshal([]byte(raw), &w); err != nil {
		return nil, false
	}
	if len(w.Data) == 0 || string(w.Data) == "null" {
		return nil, true
	}
	return parseDataObject(string(w.Data))
}
