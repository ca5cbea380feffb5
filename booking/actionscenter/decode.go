package actionscenter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxDepth bounds the nesting of a request body; real requests nest four levels deep.
const maxDepth = 32

// Decode reads a proto3 JSON message into v, one of this package's request or response types: keys may be
// snake_case or lowerCamelCase (snake_case wins when both are present), 64-bit integers strings or numbers,
// enums names or numbers; unknown fields are ignored. The body must be one JSON object and nothing else.
func Decode(data []byte, v any) error {
	camel, err := scanKeys(data)
	if err != nil {
		return err
	}
	if !camel {
		// Every key is already a proto field name: decode directly (the common case, and much cheaper).
		if err := json.Unmarshal(data, v); err != nil {
			return decodeError(err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: data after the top-level object")
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return errors.New("invalid JSON: the body must be an object")
	}
	norm, err := normalize(obj, 0)
	if err != nil {
		return err
	}
	canonical, err := json.Marshal(norm)
	if err != nil {
		return fmt.Errorf("re-encoding the request: %w", err)
	}
	if err := json.Unmarshal(canonical, v); err != nil {
		return decodeError(err)
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Errorf("field %s: wrong JSON type %s", typeErr.Field, typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return fmt.Errorf("invalid request: %w", err)
}

// scanKeys checks the outline of a JSON body without allocating: it must be one object nested at most
// maxDepth deep. It reports whether any object key has an upper-case ASCII letter (a lowerCamelCase name).
// Full validation is left to the decoder.
func scanKeys(data []byte) (camel bool, err error) {
	i := 0
	skipSpace := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
			i++
		}
	}
	skipSpace()
	if i >= len(data) || data[i] != '{' {
		return false, errors.New("invalid JSON: the body must be an object")
	}
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '{', '[':
			depth++
			if depth > maxDepth {
				return false, errors.New("invalid JSON: nested too deeply")
			}
			i++
		case '}', ']':
			depth--
			i++
		case '"':
			i++
			upper := false
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					i++
				} else if data[i] >= 'A' && data[i] <= 'Z' {
					upper = true
				}
				i++
			}
			if i >= len(data) {
				return false, errors.New("invalid JSON: unterminated string")
			}
			i++
			if upper && !camel {
				skipSpace()
				if i < len(data) && data[i] == ':' {
					camel = true
				}
			}
		default:
			i++
		}
	}
	return camel, nil
}

// normalize rewrites lowerCamelCase keys to snake_case throughout the tree.
func normalize(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("invalid JSON: nested too deeply")
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		// snake_case (proto) names first, so they win over a lowerCamelCase twin.
		for k, val := range t {
			if snake := toSnake(k); snake == k {
				n, err := normalize(val, depth+1)
				if err != nil {
					return nil, err
				}
				out[k] = n
			}
		}
		for k, val := range t {
			snake := toSnake(k)
			if snake == k {
				continue
			}
			if _, dup := out[snake]; dup {
				continue
			}
			n, err := normalize(val, depth+1)
			if err != nil {
				return nil, err
			}
			out[snake] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			n, err := normalize(val, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	default:
		return v, nil
	}
}

// toSnake turns a lowerCamelCase JSON name into the proto field name: startSec → start_sec. Names that are
// already snake_case (no upper-case letters) come back unchanged.
func toSnake(k string) string {
	if strings.IndexFunc(k, func(r rune) bool { return r >= 'A' && r <= 'Z' }) < 0 {
		return k
	}
	var b strings.Builder
	b.Grow(len(k) + 4)
	for i, r := range k {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
