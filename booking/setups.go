package booking

import (
	"context"
	"encoding/json"
	"time"
)

// MerchantRecord is one merchant's setup as the store keeps it: the merchant document (the inventory file's
// merchant shape), its version and who changed it last. Version starts at 1 and grows by one with every change.
type MerchantRecord struct {
	Merchant  Merchant  `json:"merchant"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
	UpdatedBy string    `json:"updatedBy"`
}

// SetupChange is the audit record of one change to a merchant's setup: who made it, when, through what, and
// which fields changed. The store appends one with every [Setups.PutMerchant].
type SetupChange struct {
	MerchantID string `json:"merchantId"`
	// Version is the merchant document's version after the change (1 for its creation).
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
	// By names who made the change: an admin user name, or "inventory import" for the CLI and the first start.
	By string `json:"by"`
	// Via is the channel of the change: "admin", "import".
	Via string `json:"via"`
	// Fields lists what changed, by JSON path of the merchant document; empty for a creation.
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one changed field of a merchant document: its JSON path ("hours[2].close",
// "services[0].capacity", "specialHours") and its JSON values before and after (absent when the field was
// added or removed).
type FieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Setups is where merchants' setups live, so that every instance sharing a store serves the same one.
// Every implementation passes the setup part of the conformance suite in booking/storetest.
//
// The store keeps a generation: a number that grows with every PutMerchant (of any merchant). An instance that
// caches setups compares the generation it last saw with [Setups.SetupGeneration] and reloads only the merchants
// [Setups.SetupChangesSince] names, so the check is one cheap read however many merchants there are.
type Setups interface {
	// SetupGeneration returns the store's current setup generation (0 when no merchant was ever written).
	SetupGeneration(ctx context.Context) (int64, error)
	// SetupChangesSince returns the IDs of the merchants written after generation gen (each once, in no
	// particular order) and the current generation.
	SetupChangesSince(ctx context.Context, gen int64) (ids []string, current int64, err error)
	// Merchant returns the stored record of the merchant, or an error with CodeNotFound. Its Merchant's
	// Location is not loaded (the caller validates the document, which loads it).
	Merchant(ctx context.Context, id string) (MerchantRecord, error)
	// Merchants returns up to limit stored records whose ID sorts after after (bytewise), in ID order: a page
	// of every merchant, so that a feed can stream thousands of them.
	Merchants(ctx context.Context, after string, limit int) ([]MerchantRecord, error)
	// PutMerchant writes rec atomically with its audit record change and a new generation, when the stored
	// version of rec.Merchant.ID is expect (0: no merchant with that ID may exist); otherwise it fails with
	// CodeVersionMismatch (CodeAlreadyExists when expect is 0 and the merchant exists). rec.Version must be
	// expect+1 and change.Version must equal it.
	PutMerchant(ctx context.Context, rec MerchantRecord, expect int64, change SetupChange) error
	// SetupHistory returns up to limit audit records of the merchant, newest first, older than version before
	// (0: from the newest).
	SetupHistory(ctx context.Context, merchantID string, before int64, limit int) ([]SetupChange, error)
}

// CheckSetupPut enforces the argument rules of [Setups.PutMerchant] that every store checks before it writes:
// the merchant has an ID, rec.Version is expect+1, and change names the same merchant and version. It returns a
// CodeInvalidArgument error naming the field, or nil.
func CheckSetupPut(rec MerchantRecord, expect int64, change SetupChange) error {
	switch {
	case rec.Merchant.ID == "":
		return InvalidArgument("merchant.id", "a merchant needs an id")
	case expect < 0 || rec.Version != expect+1:
		return InvalidArgument("version", "version %d does not follow %d", rec.Version, expect)
	case change.Version != rec.Version || change.MerchantID != rec.Merchant.ID:
		return InvalidArgument("change", "the setup change must name merchant %s at version %d", rec.Merchant.ID, rec.Version)
	}
	return nil
}
