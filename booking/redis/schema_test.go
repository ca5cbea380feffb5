package redis

import (
	"errors"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// TestOpenChecksSchema opens a store on prefixes in every state: an empty prefix and one holding data from
// before the version key (layout 1) get the version written, the current version opens, and another version
// refuses with an error naming the prefix, the found and the expected version, leaving the key as it was.
func TestOpenChecksSchema(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(c *goredis.Client, prefix string) error
		refuse  bool   // Open must refuse
		refused string // the version stored, when it does
	}{
		{name: "empty", setup: func(*goredis.Client, string) error { return nil }},
		{name: "data without version", setup: func(c *goredis.Client, prefix string) error {
			return c.SAdd(tctx(t), prefix+":merchants", "bistro").Err()
		}},
		{name: "current version", setup: func(c *goredis.Client, prefix string) error {
			return c.Set(tctx(t), prefix+":schema", SchemaVersion, 0).Err()
		}},
		{name: "newer version", refuse: true, refused: "2", setup: func(c *goredis.Client, prefix string) error {
			return c.Set(tctx(t), prefix+":schema", "2", 0).Err()
		}},
		{name: "not a version", refuse: true, refused: "", setup: func(c *goredis.Client, prefix string) error {
			return c.Set(tctx(t), prefix+":schema", "", 0).Err()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			prefix := randomPrefix(t)
			t.Cleanup(func() { deleteKeys(t, c, prefix) })
			if err := tt.setup(c, prefix); err != nil {
				t.Fatal(err)
			}
			s, err := Open(tctx(t), redisURL(), Options{Prefix: prefix, Timeout: testTimeout})
			if tt.refuse {
				var se *SchemaError
				if !errors.As(err, &se) || se.Found != tt.refused || se.Prefix != prefix {
					t.Fatalf("Open = %v, want a SchemaError for version %q", err, tt.refused)
				}
				for _, want := range []string{`"` + prefix + `"`, `version "` + tt.refused + `"`, `reads version "` + SchemaVersion + `"`} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %s", err, want)
					}
				}
			} else {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				_ = s.Close()
			}
			want := SchemaVersion
			if tt.refuse {
				want = tt.refused
			}
			if got, err := c.Get(tctx(t), prefix+":schema").Result(); err != nil || got != want {
				t.Errorf("%s:schema = %q, %v; want %q", prefix, got, err, want)
			}
		})
	}
}

// TestCheckSchemaOnNew: a store made with New checks its prefix when asked, like Open.
func TestCheckSchemaOnNew(t *testing.T) {
	c := newClient(t)
	s := openStoreWith(t, c, randomPrefix(t))
	if err := s.CheckSchema(tctx(t)); err != nil {
		t.Fatalf("CheckSchema on an empty prefix: %v", err)
	}
	if err := s.CheckSchema(tctx(t)); err != nil {
		t.Fatalf("CheckSchema again: %v", err)
	}
	if err := c.Set(tctx(t), s.schemaKey(), "0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var se *SchemaError
	if err := s.CheckSchema(tctx(t)); !errors.As(err, &se) || se.Found != "0" {
		t.Fatalf("CheckSchema on version 0 = %v, want a SchemaError", err)
	}
}
