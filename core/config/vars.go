package config

import "github.com/zclconf/go-cty/cty"

// The variables that conditions, templates and step arguments read. The
// engine fills them from the message being evaluated; config type-checks
// expressions against unknown values of these types. Timestamps are RFC
// 3339 strings, empty when unknown; absent text is "".

var partyType = cty.Object(map[string]cty.Type{
	"id": cty.String, "name": cty.String, "handle": cty.String, "email": cty.String, "phone": cty.String,
})

// MessageType is the type of the `message` variable.
var MessageType = cty.Object(map[string]cty.Type{
	"id":             cty.String,
	"external_id":    cty.String,
	"connector":      cty.String,
	"account":        cty.String,
	"channel":        cty.String,
	"thread":         cty.String,
	"subject":        cty.String,
	"text":           cty.String,
	"html":           cty.String,
	"language":       cty.String,
	"order_ref":      cty.String,
	"in_reply_to":    cty.String,
	"sent_at":        cty.String,
	"received_at":    cty.String,
	"auto_generated": cty.Bool,
	"sender":         partyType,
	"headers":        cty.Map(cty.String),
})

// ThreadType is the type of the `thread` variable.
var ThreadType = cty.Object(map[string]cty.Type{
	"id":                 cty.String,
	"external_id":        cty.String,
	"status":             cty.String,
	"tags":               cty.List(cty.String),
	"assignee":           cty.String,
	"messages":           cty.Number, // buyer messages so far, this one included
	"answered":           cty.Bool,   // a human answered after the last buyer message
	"first_inbound_at":   cty.String,
	"last_inbound_at":    cty.String,
	"first_response_at":  cty.String,
	"auto_replies":       cty.Number,
	"last_auto_reply_at": cty.String,
})

// ContactType is the type of the `contact` variable.
var ContactType = cty.Object(map[string]cty.Type{
	"id":       cty.String,
	"name":     cty.String,
	"email":    cty.String,
	"phone":    cty.String,
	"handle":   cty.String,
	"messages": cty.Number,
})

// AccountType is the type of the `account` variable.
var AccountType = cty.Object(map[string]cty.Type{
	"connector": cty.String,
	"name":      cty.String,
})

// Names of the runtime variables.
const (
	VarMessage = "message"
	VarThread  = "thread"
	VarContact = "contact"
	VarAccount = "account"
	VarStep    = "step"
	VarNow     = "now"
)

// runtimeVars are unknown values of the runtime types, for type-checking.
func runtimeVars() map[string]cty.Value {
	return map[string]cty.Value{
		VarMessage: cty.UnknownVal(MessageType),
		VarThread:  cty.UnknownVal(ThreadType),
		VarContact: cty.UnknownVal(ContactType),
		VarAccount: cty.UnknownVal(AccountType),
		VarNow:     cty.UnknownVal(cty.String),
	}
}
