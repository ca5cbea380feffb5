package booking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// String formats the duration compactly in its largest whole unit ("90m", "2h", "1440h", "30s"), falling back
// to time.Duration's own form ("1.5s") for fractions of a second.
func (d Duration) String() string {
	td := time.Duration(d)
	switch {
	case td == 0:
		return "0s"
	case td%time.Hour == 0:
		return strconv.FormatInt(int64(td/time.Hour), 10) + "h"
	case td%time.Minute == 0:
		return strconv.FormatInt(int64(td/time.Minute), 10) + "m"
	case td%time.Second == 0:
		return strconv.FormatInt(int64(td/time.Second), 10) + "s"
	default:
		return td.String()
	}
}

// MarshalJSON writes the duration as a Go duration string such as "90m".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a Go duration string ("90m", "1h30m") or a number of seconds (5400, 0.5).
func (d *Duration) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want a Go duration such as \"90m\" or a number of seconds", s)
		}
		*d = Duration(v)
		return nil
	}
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	var secs float64
	if err := json.Unmarshal(data, &secs); err != nil {
		return fmt.Errorf("duration %s: want a Go duration such as \"90m\" or a number of seconds", data)
	}
	ns := secs * float64(time.Second)
	if math.IsNaN(ns) || ns >= math.MaxInt64 || ns < math.MinInt64 {
		return fmt.Errorf("duration %s: out of range", data)
	}
	*d = Duration(time.Duration(math.Round(ns)))
	return nil
}
