package jsontest

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name, want, got string
		diff            []string
	}{
		{"equal, other order", `{"a":1,"b":[1,{"c":"x"}]}`, `{"b":[1,{"c":"x"}],"a":1.0}`, nil},
		{"missing member", `{"a":1,"b":2}`, `{"a":1}`, []string{"$.b: missing (want 2)"}},
		{"unexpected member", `{"a":1}`, `{"a":1,"z":null}`, []string{"$.z: unexpected null"}},
		{"changed value", `{"a":{"b":"x"}}`, `{"a":{"b":"y"}}`, []string{`$.a.b: want "x", got "y"`}},
		{"array length", `[1,2]`, `[1]`, []string{"$: want 2 elements, got 1: [1]"}},
		{"type change", `{"a":[1]}`, `{"a":{"0":1}}`, []string{`$.a: want array, got {"0":1}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w, g any
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.got), &g); err != nil {
				t.Fatal(err)
			}
			if d := Diff("$", w, g); !reflect.DeepEqual(d, tt.diff) {
				t.Errorf("Diff = %q, want %q", d, tt.diff)
			}
		})
	}
}
