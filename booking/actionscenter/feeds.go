package actionscenter

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
)

// DefaultFeedDays is how many days ahead the availability feed covers when FeedOptions.Days is zero.
const DefaultFeedDays = 30

// FeedMetadata heads every feed file.
type FeedMetadata struct {
	ProcessingInstruction string `json:"processing_instruction"`
	ShardNumber           int    `json:"shard_number"`
	TotalShards           int    `json:"total_shards"`
	// Nonce is a uint64, written as a string as proto3 JSON writes 64-bit integers (and Google's sample does).
	Nonce               string `json:"nonce"`
	GenerationTimestamp int64  `json:"generation_timestamp"`
}

// FeedAddress is a merchant's postal address in the merchant feed.
type FeedAddress struct {
	Country       string `json:"country,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	StreetAddress string `json:"street_address,omitempty"`
}

// FeedGeo locates a merchant. The inventory has no coordinates, so only the address is given; Google matches
// merchants by name and address.
type FeedGeo struct {
	Address FeedAddress `json:"address"`
}

// FeedMerchant is one merchant in the merchant feed.
type FeedMerchant struct {
	MerchantID string  `json:"merchant_id"`
	Name       string  `json:"name"`
	Telephone  string  `json:"telephone,omitempty"`
	URL        string  `json:"url,omitempty"`
	Category   string  `json:"category"`
	Geo        FeedGeo `json:"geo"`
}

// MerchantFeed is the merchant feed file.
type MerchantFeed struct {
	Metadata FeedMetadata   `json:"metadata"`
	Merchant []FeedMerchant `json:"merchant"`
}

// Text is a possibly localized string; the inventory has one language, so only Value is set.
type Text struct {
	Value string `json:"value"`
}

// FeedPrice is a service's price.
type FeedPrice struct {
	PriceMicros  int64  `json:"price_micros"`
	CurrencyCode string `json:"currency_code"`
}

// SchedulingRules are a service's booking and cancellation lead times, in seconds.
type SchedulingRules struct {
	MinAdvanceBooking         int64 `json:"min_advance_booking"`
	MinAdvanceOnlineCanceling int64 `json:"min_advance_online_canceling"`
}

// FeedService is one service in the service feed.
type FeedService struct {
	MerchantID           string          `json:"merchant_id"`
	ServiceID            string          `json:"service_id"`
	LocalizedServiceName Text            `json:"localized_service_name"`
	LocalizedDescription *Text           `json:"localized_description,omitempty"`
	Price                *FeedPrice      `json:"price,omitempty"`
	Rules                SchedulingRules `json:"rules"`
	PrepaymentType       string          `json:"prepayment_type"`
}

// ServiceFeed is the service feed file.
type ServiceFeed struct {
	Metadata FeedMetadata  `json:"metadata"`
	Service  []FeedService `json:"service"`
}

// FeedAvailability is one bookable start time in the availability feed. Dining services have one entry per
// party size that fits (spots_total and spots_open 1, resources.party_size set), as Google's dining sample
// does; other services one entry with the capacity as spots_total and the capacity left as spots_open.
type FeedAvailability struct {
	MerchantID       string           `json:"merchant_id"`
	ServiceID        string           `json:"service_id"`
	StartSec         int64            `json:"start_sec"`
	DurationSec      int64            `json:"duration_sec"`
	SpotsTotal       int64            `json:"spots_total"`
	SpotsOpen        int64            `json:"spots_open"`
	Resources        *ResourceIDs     `json:"resources,omitempty"`
	ConfirmationMode ConfirmationMode `json:"confirmation_mode"`
}

// ServiceAvailability groups the availability of one service.
type ServiceAvailability struct {
	Availability []FeedAvailability `json:"availability"`
}

// AvailabilityFeed is the availability feed file.
type AvailabilityFeed struct {
	Metadata            FeedMetadata          `json:"metadata"`
	ServiceAvailability []ServiceAvailability `json:"service_availability"`
}

// Feeds are the three feed files of one full upload.
type Feeds struct {
	Merchants    MerchantFeed
	Services     ServiceFeed
	Availability AvailabilityFeed
}

// FeedOptions configures BuildFeeds.
type FeedOptions struct {
	// Days is how many days from now the availability feed covers (default DefaultFeedDays).
	Days int
	// Nonce identifies the upload; zero means a random one.
	Nonce uint64
}

// categories maps a service type to the merchant feed category.
var categories = map[booking.ReservationType]string{
	booking.TypeRestaurant:  "restaurant",
	booking.TypeHairdresser: "hair_salon",
	booking.TypeOther:       "other",
}

// BuildFeeds builds a full upload (PROCESS_AS_COMPLETE, one shard) of the merchant, service and availability
// feeds for every merchant of the core's inventory. Availability comes from the core at this moment, with the
// same rules as BatchAvailabilityLookup (opening hours, lead times, bookings and unexpired holds), so that
// Google's cached availability matches the live answers.
func BuildFeeds(ctx context.Context, core *booking.Core, opts FeedOptions) (Feeds, error) {
	days := opts.Days
	if days <= 0 {
		days = DefaultFeedDays
	}
	nonce := opts.Nonce
	if nonce == 0 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Feeds{}, fmt.Errorf("feed nonce: %w", err)
		}
		nonce = binary.BigEndian.Uint64(b[:]) | 1
	}
	now := core.Now()
	meta := FeedMetadata{
		ProcessingInstruction: "PROCESS_AS_COMPLETE",
		ShardNumber:           0,
		TotalShards:           1,
		Nonce:                 strconv.FormatUint(nonce, 10),
		GenerationTimestamp:   now.Unix(),
	}
	f := Feeds{
		Merchants:    MerchantFeed{Metadata: meta, Merchant: []FeedMerchant{}},
		Services:     ServiceFeed{Metadata: meta, Service: []FeedService{}},
		Availability: AvailabilityFeed{Metadata: meta, ServiceAvailability: []ServiceAvailability{}},
	}
	inv := core.Inventory()
	for mi := range inv.Merchants {
		m := &inv.Merchants[mi]
		f.Merchants.Merchant = append(f.Merchants.Merchant, feedMerchant(m))
		for si := range m.Services {
			sv := &m.Services[si]
			f.Services.Service = append(f.Services.Service, feedService(m, sv))
			avail, err := feedAvailability(ctx, core, m, sv, now, now.Add(time.Duration(days)*24*time.Hour))
			if err != nil {
				return Feeds{}, err
			}
			f.Availability.ServiceAvailability = append(f.Availability.ServiceAvailability, ServiceAvailability{Availability: avail})
		}
	}
	return f, nil
}

func feedMerchant(m *booking.Merchant) FeedMerchant {
	category := "other"
	if sv := m.Default(); sv != nil {
		if c, ok := categories[sv.Type]; ok {
			category = c
		}
	}
	return FeedMerchant{
		MerchantID: m.ID,
		Name:       m.Name,
		Telephone:  m.Phone,
		URL:        m.URL,
		Category:   category,
		Geo: FeedGeo{Address: FeedAddress{
			Country:       m.Address.RegionCode,
			Locality:      m.Address.Locality,
			Region:        m.Address.AdministrativeArea,
			PostalCode:    m.Address.PostalCode,
			StreetAddress: strings.Join(m.Address.AddressLines, ", "),
		}},
	}
}

func feedService(m *booking.Merchant, sv *booking.Service) FeedService {
	fs := FeedService{
		MerchantID:           m.ID,
		ServiceID:            sv.ID,
		LocalizedServiceName: Text{Value: sv.Name},
		Rules: SchedulingRules{
			MinAdvanceBooking:         int64(m.Policy.MinLead.D() / time.Second),
			MinAdvanceOnlineCanceling: int64(m.Policy.CancelBefore.D() / time.Second),
		},
		PrepaymentType: "NOT_SUPPORTED",
	}
	if sv.Description != "" {
		fs.LocalizedDescription = &Text{Value: sv.Description}
	}
	if sv.Price != nil {
		fs.Price = &FeedPrice{PriceMicros: sv.Price.AmountMicros, CurrencyCode: sv.Price.CurrencyCode}
	}
	return fs
}

// feedAvailability lists the bookable start times of one service in [from, to), reading the core once per
// 31-day window.
func feedAvailability(ctx context.Context, core *booking.Core, m *booking.Merchant, sv *booking.Service, from, to time.Time) ([]FeedAvailability, error) {
	out := []FeedAvailability{}
	dur := serviceDurationSec(sv)
	dining := sv.Type == booking.TypeRestaurant
	for w := from; w.Before(to); w = w.Add(booking.MaxAvailabilityWindow) {
		end := w.Add(booking.MaxAvailabilityWindow)
		if end.After(to) {
			end = to
		}
		slots, err := core.Availability(ctx, booking.AvailabilityQuery{
			MerchantID: m.ID, ServiceID: sv.ID, PartySize: sv.MinParty, From: w, To: end,
		})
		if err != nil {
			return nil, fmt.Errorf("availability of %s/%s: %w", m.ID, sv.ID, err)
		}
		for _, sl := range slots {
			base := FeedAvailability{
				MerchantID: m.ID, ServiceID: sv.ID, StartSec: sl.Start.Unix(), DurationSec: dur,
				ConfirmationMode: ConfirmationModeOf(m),
			}
			if !dining {
				base.SpotsTotal, base.SpotsOpen = int64(sv.Capacity), int64(sl.Remaining)
				out = append(out, base)
				continue
			}
			// One entry per party size that still fits, largest first as in Google's dining sample.
			for p := min(sv.MaxParty, sl.Remaining); p >= sv.MinParty; p-- {
				e := base
				e.SpotsTotal, e.SpotsOpen = 1, 1
				e.Resources = &ResourceIDs{PartySize: Int32(p)}
				out = append(out, e)
			}
		}
	}
	return out, nil
}
