package intents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/fulfillment"
)

// Intent display names the conversation answers; the Dialogflow agent in agent/ uses exactly these.
const (
	IntentWelcome           = "Default Welcome Intent"
	IntentFallback          = "Default Fallback Intent"
	IntentStart             = "reservation.start"
	IntentRequirementsCheck = "reservation.requirements_check"
	IntentDetails           = "reservation.details"
	IntentSelectSlot        = "reservation.select_slot"
	IntentDecision          = "reservation.decision"
	IntentContact           = "reservation.contact"
	IntentConfirm           = "reservation.confirm"
	IntentList              = "reservation.list"
	IntentCancel            = "reservation.cancel"
)

// defaultTurnTimeout bounds the booking-core calls of one turn, so that a store that stopped answering costs the
// user an apology within it instead of a silent webhook timeout (Dialogflow gives up after 5 to 10 s).
const defaultTurnTimeout = 1500 * time.Millisecond

// userIDKey is the user-storage key of the anonymous id the Assistant user's reservations are listed by.
const userIDKey = "uid"

// Deps is what the conversation needs.
type Deps struct {
	// Core is the booking core; required.
	Core *booking.Core
	// MerchantID is the merchant the conversation books for; default booking.SampleMerchantID.
	MerchantID string
	// Now is the clock; default Core.Now.
	Now func() time.Time
	// Logger receives one line per failed turn (never personal data); default slog.Default().
	Logger *slog.Logger
	// TurnTimeout bounds the store calls of one turn; default 1.5 s.
	TurnTimeout time.Duration
	// NewUserID makes the anonymous id kept in an Assistant user's storage. By default the id is derived from
	// the conversation and turn ids ("u-" and 130 bits of their SHA-256), so that a re-sent webhook call makes
	// the same id (the hold it places is recorded under it), and random when the turn has no id.
	NewUserID func() string
}

// Register installs a handler for every intent of the conversation on app, the fallback for intents it
// does not know, and the catalog's apology for failed turns. It fails when deps name no booking core or an unknown merchant.
func Register(app *fulfillment.App, deps Deps) error {
	hs, err := handlers(deps)
	if err != nil {
		return err
	}
	for name, h := range hs {
		app.Handle(name, h)
	}
	app.Fallback(hs[IntentFallback])
	app.SetApology(func(locale string) string { return messagesFor(locale).Say(msgApology, nil) })
	return nil
}

// handlers returns the conversation's handler for each intent display name (the names of the agent's intents).
func handlers(deps Deps) (map[string]fulfillment.Handler, error) {
	if deps.Core == nil {
		return nil, errors.New("intents: Deps.Core is required")
	}
	if deps.MerchantID == "" {
		deps.MerchantID = booking.SampleMerchantID
	}
	m, ok := deps.Core.Inventory().Merchant(deps.MerchantID)
	if !ok {
		return nil, fmt.Errorf("intents: unknown merchant %q", deps.MerchantID)
	}
	if m.Default() == nil {
		return nil, fmt.Errorf("intents: merchant %q has no service", deps.MerchantID)
	}
	if deps.Now == nil {
		deps.Now = deps.Core.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.TurnTimeout <= 0 {
		deps.TurnTimeout = defaultTurnTimeout
	}
	f := &flow{core: deps.Core, merchant: m, now: deps.Now, log: deps.Logger, timeout: deps.TurnTimeout}
	a := &adapter{flow: f, newUserID: deps.NewUserID}
	steps := map[string]func(*turn){
		IntentWelcome:           f.welcome,
		IntentFallback:          f.fallback,
		IntentStart:             f.start,
		IntentRequirementsCheck: f.requirementsCheck,
		IntentDetails:           f.details,
		IntentSelectSlot:        f.selectSlot,
		IntentDecision:          f.decision,
		IntentContact:           f.contact,
		IntentConfirm:           f.confirm,
		IntentList:              f.list,
		IntentCancel:            f.cancel,
	}
	hs := make(map[string]fulfillment.Handler, len(steps))
	for name, step := range steps {
		hs[name] = a.handler(name, step)
	}
	return hs, nil
}

// adapter runs a flow step on a fulfillment.Conv: it reads the turn, runs the step under the turn's deadline
// and writes the reply and the cart back.
type adapter struct {
	flow      *flow
	newUserID func() string
}

func (a *adapter) handler(name string, step func(*turn)) fulfillment.Handler {
	return func(ctx context.Context, c *fulfillment.Conv) error {
		ctx, cancel := context.WithTimeout(ctx, a.flow.timeout)
		defer cancel()
		t := a.read(ctx, c)
		step(t)
		if t.failed != nil {
			a.flow.log.LogAttrs(ctx, slog.LevelError, "conversation turn failed",
				slog.String("intent", name), slog.String("stage", string(t.cart.Stage)),
				slog.String("code", string(booking.CodeOf(t.failed))), slog.String("error", t.failed.Error()))
		}
		return a.write(c, t)
	}
}

// read builds the turn from the request.
func (a *adapter) read(ctx context.Context, c *fulfillment.Conv) *turn {
	t := &turn{
		ctx:    ctx,
		msg:    messagesFor(c.Locale()),
		params: map[string]any{},
		query:  c.QueryText(),
		convID: c.ConversationID(),
		turnID: c.TurnID(),
		raw:    c.Envelope() == fulfillment.EnvelopeActionsSDK && c.RawIntent() == fulfillment.IntentText,
		// Transactions need an Assistant surface with a screen (the order preview is a card; on a speaker the
		// requirements check would hand off to a phone mid-conversation): without one, the text flow.
		transacting: c.CanTransact() && c.HasScreen(),
		screen:      c.HasScreen(),
		sandbox:     c.Sandbox(),
	}
	for _, p := range []string{paramParty, paramDate, paramTime, paramService, paramName, paramPhone} {
		if v, ok := c.Param(p); ok {
			t.params[p] = v
		}
	}
	if r, ok := c.RequirementsCheckResult(); ok {
		t.reqResult = requirementsResult(r)
	}
	if d, ok := c.TransactionDecision(); ok {
		t.decision = decision(d.Decision)
		t.accepted = d.Order
	}
	if o, ok := c.SelectedOption(); ok {
		t.option = o
	}
	if ok, err := c.Data().Get(cartKey, &t.cart); ok && err != nil {
		t.cart = cart{} // a cart from an older version: start again
	}
	t.userID = func() (string, error) { return a.userID(c) }
	return t
}

// userID returns the id the user's reservations are kept under: the anonymous id in the Assistant user's
// storage (made on first need), or the Dialogflow session where the request has no Assistant user (the console,
// other channels).
func (a *adapter) userID(c *fulfillment.Conv) (string, error) {
	if app := c.AppRequest(); app == nil || app.User == nil {
		return "session:" + c.ConversationID(), nil
	}
	if id := c.UserStorage().String(userIDKey); id != "" {
		return id, nil
	}
	id := a.makeUserID(c)
	if err := c.UserStorage().Set(userIDKey, id); err != nil {
		return "", fmt.Errorf("keep the user id: %w", err)
	}
	return id, nil
}

// write renders the reply on the conversation and keeps the cart in the conversation data.
func (a *adapter) write(c *fulfillment.Conv, t *turn) error {
	if err := c.Data().Set(cartKey, t.cart); err != nil {
		return fmt.Errorf("keep the cart: %w", err)
	}
	r := t.reply
	for i, s := range r.speech {
		if r.close && i == len(r.speech)-1 {
			c.Close(s)
		} else {
			c.Ask(s)
		}
	}
	if r.receipt != nil {
		if err := c.OrderUpdate(*r.receipt); err != nil {
			return fmt.Errorf("receipt: %w", err)
		}
	}
	if r.close {
		return nil
	}
	if len(r.chips) > 0 {
		if err := c.Suggest(r.chips...); err != nil {
			return fmt.Errorf("suggestions: %w", err)
		}
	}
	if n := len(r.reprompts); n > 0 {
		if err := c.Reprompt(r.reprompts[max(0, n-fulfillment.MaxNoInputPrompts):]...); err != nil {
			return fmt.Errorf("reprompts: %w", err)
		}
	}
	switch {
	case r.requirements:
		if err := c.RequireTransaction(); err != nil {
			return fmt.Errorf("requirements check: %w", err)
		}
	case r.proposal != nil:
		err := c.ProposeOrder(fulfillment.Proposal{
			Order: *r.proposal,
			OrderOptions: &fulfillment.OrderOptions{UserInfoOptions: &fulfillment.UserInfoOptions{
				UserInfoProperties: []fulfillment.UserInfoProperty{fulfillment.UserInfoEmail},
			}},
			PresentationOptions: &fulfillment.PresentationOptions{ActionDisplayName: fulfillment.ActionReserve},
		})
		if err != nil {
			return fmt.Errorf("propose the order: %w", err)
		}
	case r.list != nil:
		items := make([]fulfillment.OptionItem, len(r.list.items))
		for i, it := range r.list.items {
			items[i] = fulfillment.OptionItem{Key: it.key, Title: it.title, Description: it.description}
		}
		if err := c.List(r.list.title, items); err != nil {
			return fmt.Errorf("list: %w", err)
		}
	}
	return nil
}

// makeUserID makes the anonymous id of an Assistant user who has none yet: Deps.NewUserID's when set, else one
// derived from the conversation and turn ids (the same for a re-sent call, and revealing neither), else random.
func (a *adapter) makeUserID(c *fulfillment.Conv) string {
	if a.newUserID != nil {
		return a.newUserID()
	}
	if turn := c.TurnID(); turn != "" {
		sum := sha256.Sum256([]byte("reservations-uid\x00" + c.ConversationID() + "\x00" + turn))
		return "u-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:26])
	}
	return newUserID()
}

// newUserID returns a random anonymous user id: "u-" and 26 base32 characters (130 random bits).
func newUserID() string {
	return "u-" + strings.ToLower(rand.Text())
}
