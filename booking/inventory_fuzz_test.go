package booking_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/reservations/reservations/booking"
)

// FuzzInventory checks the merchant document on any input: parsing never panics; a document that decodes is
// refused by ParseInventory exactly when Validate finds problems, and each problem is a *FieldError whose field
// is a path into the document ("merchants[0].services[1].capacity") naming a field of its types, with indexes
// in range; a valid document round-trips (encoded again, it parses to the same document). The seed corpus
// (testdata/fuzz/FuzzInventory) is generated from the real inventories by go run ./testdata/fuzz/gen.
func FuzzInventory(f *testing.F) {
	f.Add([]byte(`{"merchants":null}`))
	f.Add([]byte(`{"merchants":[{"services":[{"price":{}}],"hours":[{}],"closedDates":["2026-02-30"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, parseErr := booking.ParseInventory(data)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var inv booking.Inventory
		if err := dec.Decode(&inv); err != nil || dec.More() {
			if parseErr == nil {
				t.Fatalf("ParseInventory accepted what does not decode (%v): %q", err, data)
			}
			return
		}
		err := inv.Validate()
		if (err == nil) != (parseErr == nil) {
			t.Fatalf("Validate: %v; ParseInventory: %v", err, parseErr)
		}
		if err != nil {
			checkFieldErrors(t, &inv, err)
			return
		}
		out, err := json.Marshal(parsed)
		if err != nil {
			t.Fatalf("encode a valid inventory: %v", err)
		}
		back, err := booking.ParseInventory(out)
		if err != nil {
			t.Fatalf("a valid inventory encoded again does not parse: %v\n%s", err, out)
		}
		if again, _ := json.Marshal(back); !bytes.Equal(again, out) {
			t.Fatalf("round trip changed the inventory:\n%s\n%s", out, again)
		}
	})
}

// checkFieldErrors fails unless err joins *FieldErrors, each with a message and a field that resolves in inv.
func checkFieldErrors(t *testing.T, inv *booking.Inventory, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var fe *booking.FieldError
		if !errors.As(e, &fe) || fe.Message == "" {
			t.Fatalf("validation problem %q (%T) is not a *FieldError with a message", e, e)
		}
		if err := resolveField(reflect.ValueOf(inv).Elem(), fe.Field); err != nil {
			t.Fatalf("%q: field %q does not name a field of the document: %v", e, fe.Field, err)
		}
	}
}

var fieldSegment = regexp.MustCompile(`^([A-Za-z]+)(?:\[(\d+)\])?$`)

// resolveField walks a FieldError path ("merchants[0].hours[2].open") through v by JSON field names: every
// segment must be a field of the struct it is in, and every index within its slice.
func resolveField(v reflect.Value, path string) error {
	for seg := range strings.SplitSeq(path, ".") {
		m := fieldSegment.FindStringSubmatch(seg)
		if m == nil {
			return fmt.Errorf("segment %q is not name or name[i]", seg)
		}
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v = reflect.New(v.Type().Elem())
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return fmt.Errorf("%q: %s has no fields", seg, v.Type())
		}
		f, ok := jsonField(v, m[1])
		if !ok {
			return fmt.Errorf("%s has no JSON field %q", v.Type(), m[1])
		}
		v = f
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			if v.Kind() != reflect.Slice || i >= v.Len() {
				return fmt.Errorf("%q: index out of range (%s of length %d)", seg, v.Kind(), v.Len())
			}
			v = v.Index(i)
		}
	}
	return nil
}

// jsonField is the field of struct v with the JSON name.
func jsonField(v reflect.Value, name string) (reflect.Value, bool) {
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}
