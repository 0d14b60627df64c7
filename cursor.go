package omi

import (
	"encoding/base64"
	"encoding/json"
)

// Lists page two ways: offset (upstream's) and cursor (ours). A cursor is the
// sort key of the last item a client saw, made opaque; the next page starts
// strictly after it, so inserts and deletes never cause gaps or repeats.

// EncodeCursor makes key (a resource's cursor struct) opaque.
func EncodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic("omi: cursor keys are plain structs: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into key; EINVALID if it
// is not one.
func DecodeCursor(s string, key any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		return Invalid(FieldError{Type: "value_error", Loc: []any{"query", "cursor"}, Msg: "Value error, cursor is not one this server issued"})
	}
	return nil
}

// Page selects a slice of a list. Stores return at most Limit items, skipping
// Offset items after the cursor (if any).
type Page struct {
	Limit  int
	Offset int
	// After, when non-nil, is the decoded cursor of the resource's list.
	After any
}
