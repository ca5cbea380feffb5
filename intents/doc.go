// Package intents is the reservation conversation: one handler per Dialogflow intent, cart assembly kept in the
// conversation data, the messages catalog every spoken or shown word comes from, and the Dialogflow ES agent
// definition the handlers answer (embedded from agent/, exported as a zip for the Dialogflow console).
//
// [Register] installs the handlers on a fulfillment.App over a booking core. On an Assistant surface with a
// screen the conversation runs the transactions v3 flow (requirements check, order proposal, receipt); elsewhere
// (the Dialogflow console, other channels, speakers) it collects a name and phone number and confirms by voice or
// text. Business failures become sentences; a store that does not answer within the turn's deadline becomes an
// apology. docs/conversation.md describes the flow.
package intents
