package booking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	// The merchants' time zones must load on machines and containers without a system zone database.
	_ "time/tzdata"
)

// Inventory is every merchant the service takes reservations for. Its file format is JSON,
// {"merchants":[Merchant…]}, with the field names of [Merchant], [Service], [OpeningHours] and [Policy];
// durations are Go duration strings ("90m") or numbers of seconds.
//
// An Inventory is validated once (ParseInventory, SampleInventory or Validate) and must not be modified after
// it is handed to [NewService].
type Inventory struct {
	Merchants []Merchant `json:"merchants"`
}

// Merchant returns the merchant with the id.
func (inv *Inventory) Merchant(id string) (*Merchant, bool) {
	for i := range inv.Merchants {
		if inv.Merchants[i].ID == id {
			return &inv.Merchants[i], true
		}
	}
	return nil, false
}

// Service returns the merchant's service with the id.
func (m *Merchant) Service(id string) (*Service, bool) {
	for i := range m.Services {
		if m.Services[i].ID == id {
			return &m.Services[i], true
		}
	}
	return nil, false
}

// Default returns the service used when the user names none: DefaultService, or the first service.
// It returns nil only for a merchant without services, which validation rejects.
func (m *Merchant) Default() *Service {
	if m.DefaultService != "" {
		if s, ok := m.Service(m.DefaultService); ok {
			return s
		}
	}
	if len(m.Services) == 0 {
		return nil
	}
	return &m.Services[0]
}

// SampleMerchantID is the id of the built-in sample merchant.
const SampleMerchantID = "sample-bistro"

// SampleInventory returns a new inventory holding only the built-in sample merchant, Sample Bistro: dinner for
// 1–8 people, 40 covers, 90 minutes, every 15 minutes from 17:00 to 20:30 every day, America/Los_Angeles.
func SampleInventory() *Inventory {
	inv := &Inventory{Merchants: []Merchant{sampleMerchant()}}
	if err := inv.Validate(); err != nil {
		// The sample is a constant; the zone database is embedded, so this cannot fail at run time.
		panic("booking: the built-in sample inventory is invalid: " + err.Error())
	}
	return inv
}

func sampleMerchant() Merchant {
	hours := make([]OpeningHours, 0, 7)
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours = append(hours, OpeningHours{Day: d, Open: "17:00", Close: "22:00"})
	}
	return Merchant{
		ID:                SampleMerchantID,
		Name:              "Sample Bistro",
		URL:               "https://sample-bistro.example.com/",
		Phone:             "+1 415-555-0134",
		Email:             "reservations@sample-bistro.example.com",
		TermsOfServiceURL: "https://sample-bistro.example.com/terms",
		Address: PostalAddress{
			RegionCode:         "US",
			PostalCode:         "94103",
			AdministrativeArea: "CA",
			Locality:           "San Francisco",
			AddressLines:       []string{"123 Example Street"},
		},
		TimeZone: "America/Los_Angeles",
		Hours:    hours,
		Policy: Policy{
			Hold:          Duration(15 * time.Minute),
			MinLead:       Duration(time.Hour),
			MaxLead:       Duration(60 * 24 * time.Hour),
			CancelBefore:  Duration(2 * time.Hour),
			ManualConfirm: false,
			FulfillAfter:  Duration(time.Hour),
		},
		Services: []Service{{
			ID:          "dinner",
			Name:        "Dinner",
			Description: "A table for dinner at Sample Bistro.",
			Type:        TypeRestaurant,
			Duration:    Duration(90 * time.Minute),
			MinParty:    1,
			MaxParty:    8,
			Capacity:    40,
			Interval:    Duration(15 * time.Minute),
		}},
		DefaultService: "dinner",
	}
}

// ParseInventory decodes and validates an inventory file. Unknown fields are errors (they are most likely
// typos); every validation problem is reported, each naming its field, e.g.
// "merchants[0].services[1].capacity: must be ≥ 1".
func ParseInventory(data []byte) (*Inventory, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	if dec.More() {
		return nil, errors.New("inventory: unexpected data after the JSON object")
	}
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	return &inv, nil
}

// LoadInventoryFile reads and validates the inventory file at path.
func LoadInventoryFile(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	inv, err := ParseInventory(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return inv, nil
}

// FieldError is one inventory validation problem: the JSON path of the field and what is wrong with it.
type FieldError struct {
	Field   string // e.g. "merchants[0].services[1].capacity"
	Message string // e.g. "must be ≥ 1"
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// maxServiceDuration bounds a service's duration so that a booking never spans more than a day.
const maxServiceDuration = 24 * time.Hour

// Validate checks the inventory and loads each merchant's Location from its TimeZone. It returns every
// problem found, joined; each is a *FieldError.
func (inv *Inventory) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(inv.Merchants) == 0 {
		add("merchants", "must list at least one merchant")
	}
	merchantIDs := make(map[string]int)
	for i := range inv.Merchants {
		m := &inv.Merchants[i]
		p := fmt.Sprintf("merchants[%d]", i)
		checkID(add, p+".id", m.ID)
		if j, dup := merchantIDs[m.ID]; dup && m.ID != "" {
			add(p+".id", "duplicates merchants[%d].id %q", j, m.ID)
		} else {
			merchantIDs[m.ID] = i
		}
		if m.Name == "" {
			add(p+".name", "must not be empty")
		}
		if m.TimeZone == "" {
			add(p+".timeZone", "must name an IANA time zone such as America/Los_Angeles")
		} else if loc, err := time.LoadLocation(m.TimeZone); err != nil {
			add(p+".timeZone", "unknown time zone %q", m.TimeZone)
		} else {
			m.Location = loc
		}
		if len(m.Hours) == 0 {
			add(p+".hours", "must list at least one opening period")
		}
		for j, h := range m.Hours {
			hp := fmt.Sprintf("%s.hours[%d]", p, j)
			if h.Day < time.Sunday || h.Day > time.Saturday {
				add(hp+".day", "must be 0 (Sunday) to 6 (Saturday)")
			}
			open, okOpen := parseClock(h.Open)
			if !okOpen || open == 24*60 {
				add(hp+".open", "must be a time of day \"HH:MM\" from 00:00 to 23:59")
			}
			closing, okClose := parseClock(h.Close)
			if !okClose {
				add(hp+".close", "must be a time of day \"HH:MM\" from 00:00 to 24:00")
			}
			if okOpen && okClose && open == closing {
				add(hp+".close", "must differ from open")
			}
		}
		for j, d := range m.ClosedDates {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				add(fmt.Sprintf("%s.closedDates[%d]", p, j), "must be a date YYYY-MM-DD")
			}
		}
		validatePolicy(add, p+".policy", m.Policy)
		if len(m.Services) == 0 {
			add(p+".services", "must list at least one service")
		}
		serviceIDs := make(map[string]int)
		for j := range m.Services {
			s := &m.Services[j]
			sp := fmt.Sprintf("%s.services[%d]", p, j)
			checkID(add, sp+".id", s.ID)
			if k, dup := serviceIDs[s.ID]; dup && s.ID != "" {
				add(sp+".id", "duplicates services[%d].id %q", k, s.ID)
			} else {
				serviceIDs[s.ID] = j
			}
			validateService(add, sp, s)
		}
		if m.DefaultService != "" {
			if _, ok := m.Service(m.DefaultService); !ok {
				add(p+".defaultService", "names no service of this merchant: %q", m.DefaultService)
			}
		}
	}
	return errors.Join(errs...)
}

func checkID(add func(field, format string, args ...any), field, id string) {
	switch {
	case id == "":
		add(field, "must not be empty")
	case len(id) > 64:
		add(field, "must be at most 64 characters")
	case !idPattern.MatchString(id):
		add(field, "must contain only A-Z, a-z, 0-9, _ and -")
	}
}

func validatePolicy(add func(field, format string, args ...any), p string, pol Policy) {
	if pol.Hold <= 0 {
		add(p+".hold", "must be > 0")
	}
	if pol.MinLead < 0 {
		add(p+".minLead", "must be ≥ 0")
	}
	if pol.MaxLead <= 0 {
		add(p+".maxLead", "must be > 0")
	} else if pol.MaxLead <= pol.MinLead {
		add(p+".maxLead", "must be greater than minLead (%s)", pol.MinLead)
	}
	if pol.CancelBefore < 0 {
		add(p+".cancelBefore", "must be ≥ 0")
	}
	if pol.FulfillAfter < 0 {
		add(p+".fulfillAfter", "must be ≥ 0")
	}
}

func validateService(add func(field, format string, args ...any), sp string, s *Service) {
	if s.Name == "" {
		add(sp+".name", "must not be empty")
	}
	switch s.Type {
	case TypeRestaurant, TypeHairdresser, TypeOther:
	default:
		add(sp+".type", "must be RESTAURANT, HAIRDRESSER or OTHER")
	}
	if s.Duration <= 0 {
		add(sp+".duration", "must be > 0")
	} else if s.Duration.D() > maxServiceDuration {
		add(sp+".duration", "must be at most 24h")
	}
	if s.Interval <= 0 {
		add(sp+".interval", "must be > 0")
	}
	if s.MinParty < 1 {
		add(sp+".minPartySize", "must be ≥ 1")
	}
	if s.MaxParty < s.MinParty || s.MaxParty < 1 {
		add(sp+".maxPartySize", "must be ≥ minPartySize (%d) and ≥ 1", s.MinParty)
	}
	if s.Capacity < 1 {
		add(sp+".capacity", "must be ≥ 1")
	} else if s.Capacity < s.MaxParty {
		add(sp+".capacity", "must be ≥ maxPartySize (%d)", s.MaxParty)
	}
	if s.Price != nil {
		if len(s.Price.CurrencyCode) != 3 {
			add(sp+".price.currencyCode", "must be a 3-letter ISO 4217 code")
		}
		if s.Price.AmountMicros < 0 {
			add(sp+".price.amountMicros", "must be ≥ 0")
		}
	}
}

// parseClock parses "HH:MM" (00:00–24:00) into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}
