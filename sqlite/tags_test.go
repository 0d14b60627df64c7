package sqlite

import (
	"encoding/json"
	"fmt"
	"testing"
)

var tagSamples = []string{
	`[]`, `["a"]`, `["work","health"]`, `["é ñ 🧠"]`, `["with \"quote\""]`, `["back\\slash"]`, `["\u003cb\u003e"]`,
	`[ "spaced" , "out" ]`, `null`, `["a",]`, `["a" "b"]`, `["unterminated]`, `[1]`, `["ctl` + "\x01" + `"]`,
	`["bad utf8 ` + "\xff" + `"]`, `["\u2028"]`, `[""]`, `["",""]`, `x`, ``,
}

// decodeTags must read exactly what encoding/json reads, and fail where it
// fails.
func TestDecodeTags(t *testing.T) {
	for _, s := range tagSamples {
		checkTags(t, s)
	}
}

func FuzzDecodeTags(f *testing.F) {
	for _, s := range tagSamples {
		f.Add(s)
	}
	f.Fuzz(checkTags)
}

func checkTags(t *testing.T, s string) {
	var want []string
	wantErr := json.Unmarshal([]byte(s), &want)
	got, err := decodeTags(s)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", s, err, wantErr)
	}
	if err == nil && (fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want)) {
		t.Fatalf("%q: got %#v, encoding/json reads %#v", s, got, want)
	}
}
