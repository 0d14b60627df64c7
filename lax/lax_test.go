package lax

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// errsJSON renders the recorded errors without Input, which keeps the
// expectations short while still pinning type, loc, msg and ctx exactly.
func errsJSON(t *testing.T, v *Validator) string {
	t.Helper()
	type shape struct {
		Type string         `json:"type"`
		Loc  []any          `json:"loc"`
		Msg  string         `json:"msg"`
		Ctx  map[string]any `json:"ctx,omitempty"`
	}
	var out []shape
	for _, fe := range v.Errors() {
		out = append(out, shape{fe.Type, fe.Loc, fe.Msg, fe.Ctx})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func body(t *testing.T, raw string) (*Validator, *Obj) {
	t.Helper()
	v := New()
	return v, v.Body([]byte(raw))
}

func TestBodyDocument(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deepObj := func(n int) string {
		return strings.Repeat(`{"a":`, n-1) + "{}" + strings.Repeat("}", n-1)
	}
	tests := []struct {
		name, raw, want string
	}{
		{"empty", ``, `[{"type":"missing","loc":["body"],"msg":"Field required"}]`},
		{"whitespace", " \t\r\n ", `[{"type":"missing","loc":["body"],"msg":"Field required"}]`},
		{"null", `null`, `[{"type":"missing","loc":["body"],"msg":"Field required"}]`},
		{"object", ` {} `, `null`},
		{"bom", "\ufeff{}", `null`},
		{"array", `[]`, `[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]`},
		{"string", `"str"`, `[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]`},
		{"number", `12`, `[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]`},
		{"true", `true`, `[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]`},
		// Messages and positions are CPython's json module's, as FastAPI
		// reports them.
		{"truncated value", `{"a":`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"truncated object", `{"a":1`, `[{"type":"json_invalid","loc":["body",6],"msg":"JSON decode error","ctx":{"error":"Expecting ',' delimiter"}}]`},
		{"truncated key", `{`, `[{"type":"json_invalid","loc":["body",1],"msg":"JSON decode error","ctx":{"error":"Expecting property name enclosed in double quotes"}}]`},
		{"missing colon", `{"a" 1}`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting ':' delimiter"}}]`},
		{"trailing comma object", `{"a":1,}`, `[{"type":"json_invalid","loc":["body",7],"msg":"JSON decode error","ctx":{"error":"Expecting property name enclosed in double quotes"}}]`},
		{"trailing comma array", `{"a":[1,]}`, `[{"type":"json_invalid","loc":["body",8],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"unterminated string", `{"a":"abc`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Unterminated string starting at"}}]`},
		{"control char", "{\"a\":\"a\tb\"}", `[{"type":"json_invalid","loc":["body",7],"msg":"JSON decode error","ctx":{"error":"Invalid control character at"}}]`},
		{"bad escape", `{"a":"\q"}`, `[{"type":"json_invalid","loc":["body",6],"msg":"JSON decode error","ctx":{"error":"Invalid \\escape"}}]`},
		{"bad unicode escape", `{"a":"\u12G4"}`, `[{"type":"json_invalid","loc":["body",7],"msg":"JSON decode error","ctx":{"error":"Invalid \\uXXXX escape"}}]`},
		{"escape at end", `"\u0041`, `[{"type":"json_invalid","loc":["body",2],"msg":"JSON decode error","ctx":{"error":"Invalid \\uXXXX escape"}}]`},
		{"trailing garbage", `{} x`, `[{"type":"json_invalid","loc":["body",3],"msg":"JSON decode error","ctx":{"error":"Extra data"}}]`},
		{"two objects", `{}{}`, `[{"type":"json_invalid","loc":["body",2],"msg":"JSON decode error","ctx":{"error":"Extra data"}}]`},
		{"leading zero", `{"a":01}`, `[{"type":"json_invalid","loc":["body",6],"msg":"JSON decode error","ctx":{"error":"Expecting ',' delimiter"}}]`},
		{"bare minus", `{"a":-}`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"plus sign", `{"a":+1}`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"NaN", `{"a":NaN}`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"Infinity", `{"a":Infinity}`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"-Infinity", `{"a":-Infinity}`, `[{"type":"json_invalid","loc":["body",5],"msg":"JSON decode error","ctx":{"error":"Expecting value"}}]`},
		{"single quotes", `{'a':1}`, `[{"type":"json_invalid","loc":["body",1],"msg":"JSON decode error","ctx":{"error":"Expecting property name enclosed in double quotes"}}]`},
		{"invalid utf8 in string", "{\"a\":\"x\xffy\"}", `[{"type":"json_invalid","loc":["body",7],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]`},
		{"invalid utf8 outside string", "{\"a\":1}\xc3", `[{"type":"json_invalid","loc":["body",7],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]`},
		// Python decodes the body before parsing, so the bad byte wins
		// over the earlier syntax error.
		{"invalid utf8 after syntax error", "{x \xff", `[{"type":"json_invalid","loc":["body",3],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]`},
		{"utf8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", `[{"type":"json_invalid","loc":["body",6],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]`},
		{"depth 64 ok", `{"a":` + deep(63) + `}`, `null`},
		{"depth 65 array", `{"a":` + deep(64) + `}`, `[{"type":"json_invalid","loc":["body",68],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]`},
		{"depth 64 objects ok", deepObj(64), `null`},
		{"depth 65 objects", deepObj(65), `[{"type":"json_invalid","loc":["body",320],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]`},
		{"depth 10k", deep(10000), `[{"type":"json_invalid","loc":["body",64],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]`},
		{"depth 10k objects", strings.Repeat(`{"a":`, 10000), `[{"type":"json_invalid","loc":["body",320],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := body(t, tt.raw)
			if got := errsJSON(t, v); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestBodyDeepIsFast(t *testing.T) {
	raw := []byte(strings.Repeat("[", 1<<20))
	start := time.Now()
	v := New()
	v.Body(raw)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("rejecting 1M-deep nesting took %v", d)
	}
	if errs := v.Errors(); len(errs) != 1 || errs[0].Type != "json_invalid" {
		t.Errorf("got %+v", errs)
	}
}

func TestDeadObjRecordsNothing(t *testing.T) {
	for _, raw := range []string{``, `[]`, `{`, `null`} {
		v, o := body(t, raw)
		if o == nil {
			t.Fatal("Body returned nil")
		}
		callEverything(o, Required, MinLen(1), MinItems(1))
		if n := len(v.Errors()); n != 1 {
			t.Errorf("%q: %d errors, want only Body's: %+v", raw, n, v.Errors())
		}
		if o.Has("a") || o.IsNull("a") || o.Keys() != nil {
			t.Errorf("%q: dead Obj reports content", raw)
		}
	}
	var nilObj *Obj
	callEverything(nilObj, Required)
	nilObj.Add(omi.FieldError{Type: "x", Msg: "x"})
}

func callEverything(o *Obj, opts ...Opt) {
	o.Str("a", opts...)
	o.OptStr("a", opts...)
	o.Int("a", opts...)
	o.OptInt("a", opts...)
	o.Float("a", opts...)
	o.OptFloat("a", opts...)
	o.Bool("a", opts...)
	o.OptBool("a", opts...)
	o.Time("a", opts...)
	o.OptTime("a", opts...)
	o.StrList("a", opts...)
	o.List("a", opts...)
	o.Object("a", opts...)
}

func TestDuplicateKeysLastWins(t *testing.T) {
	v, o := body(t, `{"a":"x","b":1,"a":"y"}`)
	if s, ok := o.Str("a"); !ok || s != "y" {
		t.Errorf("Str = %q, %v", s, ok)
	}
	if got := o.Keys(); strings.Join(got, ",") != "a,b" {
		t.Errorf("Keys = %v", got)
	}
	// Past the size where lookups switch to an index.
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 100; i++ {
		b.WriteString(`"k":` + string(rune('0'+i%10)) + `,"u` + string(rune('a'+i%26)) + `":0,`)
	}
	b.WriteString(`"k":7}`)
	_, o = body(t, b.String())
	if n := o.OptInt("k"); n == nil || *n != 7 {
		t.Errorf("big object OptInt = %v", n)
	}
	if o.Has("nope") {
		t.Error("big object Has(nope)")
	}
	if got := len(o.Keys()); got != 27 {
		t.Errorf("big object has %d distinct keys, want 27", got)
	}
	if errsJSON(t, v) != "null" {
		t.Error(errsJSON(t, v))
	}
}

func TestHasIsNullKeysLoc(t *testing.T) {
	_, o := body(t, `{"a":null,"b":0}`)
	if !o.Has("a") || !o.IsNull("a") || !o.Has("b") || o.IsNull("b") || o.Has("c") || o.IsNull("c") {
		t.Error("Has/IsNull wrong")
	}
	l1 := o.Loc("x")
	l2 := o.Loc("x")
	l1[0] = "changed"
	if l2[0] != "body" || len(l2) != 2 || l2[1] != "x" {
		t.Errorf("Loc not fresh: %v", l2)
	}
}

func TestStr(t *testing.T) {
	tests := []struct {
		name, raw string
		opts      []Opt
		want      string
		ok        bool
		errs      string
	}{
		{"plain", `"hi"`, nil, "hi", true, `null`},
		{"empty", `""`, nil, "", true, `null`},
		{"escapes", `"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, nil, "a\"\\/\b\f\n\r\té😀", true, `null`},
		// Python keeps a lone surrogate; Go strings cannot, so it becomes U+FFFD.
		{"lone surrogate", `"a\ud800b"`, nil, "a\ufffdb", true, `null`},
		{"lone low surrogate", `"\udc00"`, nil, "\ufffd", true, `null`},
		{"high then non-low", `"\ud800\u0041"`, nil, "\ufffdA", true, `null`},
		{"number", `1`, nil, "", false, `[{"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string"}]`},
		{"bool", `true`, nil, "", false, `[{"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string"}]`},
		{"list", `["a"]`, nil, "", false, `[{"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string"}]`},
		{"object", `{}`, nil, "", false, `[{"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string"}]`},
		{"null", `null`, nil, "", false, `[{"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string"}]`},
		{"null required", `null`, []Opt{Required}, "", false, `[{"type":"string_type","loc":["body","s"],"msg":"Input should be a valid string"}]`},
		{"null nullable", `null`, []Opt{Required, Nullable}, "", false, `null`},
		{"NUL", `"a\u0000b"`, nil, "", false, `[{"type":"value_error","loc":["body","s"],"msg":"Value error, String must not contain NUL characters"}]`},
		{"min ok", `"abc"`, []Opt{MinLen(3)}, "abc", true, `null`},
		{"min 1", `""`, []Opt{MinLen(1)}, "", false, `[{"type":"string_too_short","loc":["body","s"],"msg":"String should have at least 1 character","ctx":{"min_length":1}}]`},
		{"min 3", `"ab"`, []Opt{MinLen(3)}, "", false, `[{"type":"string_too_short","loc":["body","s"],"msg":"String should have at least 3 characters","ctx":{"min_length":3}}]`},
		{"max 500", `"` + strings.Repeat("x", 501) + `"`, []Opt{MaxLen(500)}, "", false, `[{"type":"string_too_long","loc":["body","s"],"msg":"String should have at most 500 characters","ctx":{"max_length":500}}]`},
		{"max 1", `"ab"`, []Opt{MaxLen(1)}, "", false, `[{"type":"string_too_long","loc":["body","s"],"msg":"String should have at most 1 character","ctx":{"max_length":1}}]`},
		// Python len counts code points.
		{"emoji counts one", `"😀😀😀"`, []Opt{MinLen(3), MaxLen(3)}, "😀😀😀", true, `null`},
		{"emoji too long", `"😀😀😀"`, []Opt{MaxLen(2)}, "", false, `[{"type":"string_too_long","loc":["body","s"],"msg":"String should have at most 2 characters","ctx":{"max_length":2}}]`},
		{"combining counts two", `"e\u0301"`, []Opt{MaxLen(1)}, "", false, `[{"type":"string_too_long","loc":["body","s"],"msg":"String should have at most 1 character","ctx":{"max_length":1}}]`},
		{"enum ok", `"b"`, []Opt{OneOf("a", "b", "c")}, "b", true, `null`},
		{"enum 3", `"d"`, []Opt{OneOf("a", "b", "c")}, "", false, `[{"type":"enum","loc":["body","s"],"msg":"Input should be 'a', 'b' or 'c'","ctx":{"expected":"'a', 'b' or 'c'"}}]`},
		{"enum 2", `"d"`, []Opt{OneOf("a", "b")}, "", false, `[{"type":"enum","loc":["body","s"],"msg":"Input should be 'a' or 'b'","ctx":{"expected":"'a' or 'b'"}}]`},
		{"enum 1", `"d"`, []Opt{OneOf("a")}, "", false, `[{"type":"enum","loc":["body","s"],"msg":"Input should be 'a'","ctx":{"expected":"'a'"}}]`},
		{"enum case sensitive", `"A"`, []Opt{OneOf("a", "b")}, "", false, `[{"type":"enum","loc":["body","s"],"msg":"Input should be 'a' or 'b'","ctx":{"expected":"'a' or 'b'"}}]`},
		{"enum non-string", `1`, []Opt{OneOf("a", "b")}, "", false, `[{"type":"enum","loc":["body","s"],"msg":"Input should be 'a' or 'b'","ctx":{"expected":"'a' or 'b'"}}]`},
		{"enum quote repr", `"x"`, []Opt{OneOf("it's", `say "hi"`)}, "", false, `[{"type":"enum","loc":["body","s"],"msg":"Input should be \"it's\" or 'say \"hi\"'","ctx":{"expected":"\"it's\" or 'say \"hi\"'"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, o := body(t, `{"s":`+tt.raw+`}`)
			got, ok := o.Str("s", tt.opts...)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Str = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
			if e := errsJSON(t, v); e != tt.errs {
				t.Errorf("errors\ngot  %s\nwant %s", e, tt.errs)
			}
		})
	}
}

func TestAbsentAndNull(t *testing.T) {
	v, o := body(t, `{"n":null}`)
	if s, ok := o.Str("absent"); ok || s != "" {
		t.Error("absent optional Str")
	}
	if o.OptStr("absent") != nil || o.OptInt("n") != nil || o.OptFloat("n") != nil || o.OptBool("n") != nil || o.OptTime("n") != nil || o.OptStr("n") != nil {
		t.Error("absent/null Opt* not nil")
	}
	if l, ok := o.StrList("n"); l != nil || ok {
		t.Error("null StrList")
	}
	if l, ok := o.List("n"); l != nil || ok {
		t.Error("null List")
	}
	if ob, ok := o.Object("n"); ob != nil || ok {
		t.Error("null Object")
	}
	if e := errsJSON(t, v); e != "null" {
		t.Fatalf("nullable fields recorded %s", e)
	}

	o.Str("a", Required)
	o.OptStr("b", Required) // required but nullable: absent is still missing
	o.OptInt("n", Required) // present null is fine
	o.Int("n", Required)
	o.Float("n")
	o.Bool("n")
	o.Time("n")
	o.StrList("n", Required)
	o.List("n", Required)
	o.Object("n", Required)
	o.StrList("n", Required, Nullable)
	o.Object("c", Required)
	want := `[{"type":"missing","loc":["body","a"],"msg":"Field required"},` +
		`{"type":"missing","loc":["body","b"],"msg":"Field required"},` +
		`{"type":"int_type","loc":["body","n"],"msg":"Input should be a valid integer"},` +
		`{"type":"float_type","loc":["body","n"],"msg":"Input should be a valid number"},` +
		`{"type":"bool_type","loc":["body","n"],"msg":"Input should be a valid boolean"},` +
		`{"type":"datetime_type","loc":["body","n"],"msg":"Input should be a valid datetime"},` +
		`{"type":"list_type","loc":["body","n"],"msg":"Input should be a valid list"},` +
		`{"type":"list_type","loc":["body","n"],"msg":"Input should be a valid list"},` +
		`{"type":"model_attributes_type","loc":["body","n"],"msg":"Input should be a valid dictionary or object to extract fields from"},` +
		`{"type":"missing","loc":["body","c"],"msg":"Field required"}]`
	if e := errsJSON(t, v); e != want {
		t.Errorf("got  %s\nwant %s", e, want)
	}
	err := v.Err()
	var oe *omi.Error
	if !errors.As(err, &oe) || oe.Code != omi.EINVALID || len(oe.Fields) != 10 || oe.Message != "Field required" {
		t.Errorf("Err() = %#v", err)
	}
}

func TestErrNilWhenClean(t *testing.T) {
	v, o := body(t, `{"a":"x"}`)
	o.Str("a", Required)
	if err := v.Err(); err != nil {
		t.Errorf("Err() = %v, want untyped nil", err)
	}
	if v.Errors() == nil || len(v.Errors()) != 0 {
		t.Errorf("Errors() = %#v, want empty non-nil", v.Errors())
	}
}

// result is either a value or an error type.
type result struct {
	val  any
	err  string
	none bool // Opt* returned nil without error
}

func TestInt(t *testing.T) {
	tests := []struct {
		raw  string
		want result
	}{
		{`1`, result{val: int64(1)}},
		{`-0`, result{val: int64(0)}},
		{`-0.0`, result{val: int64(0)}},
		{`1.0`, result{val: int64(1)}},
		{`1e3`, result{val: int64(1000)}},
		{`1E3`, result{val: int64(1000)}},
		{`2.5e1`, result{val: int64(25)}},
		{`1.5`, result{err: "int_from_float"}},
		{`1e-1`, result{err: "int_from_float"}},
		{`true`, result{val: int64(1)}},
		{`false`, result{val: int64(0)}},
		{`9223372036854775807`, result{val: int64(math.MaxInt64)}},
		{`-9223372036854775808`, result{val: int64(math.MinInt64)}},
		{`9223372036854775808`, result{err: "int_parsing_size"}},
		{`-9223372036854775809`, result{err: "int_parsing_size"}},
		{`99999999999999999999999`, result{err: "int_parsing_size"}},
		{`1e19`, result{err: "int_parsing_size"}},
		{`9.2e18`, result{val: int64(9200000000000000000)}},
		// pydantic's float bounds are exclusive: 2**63 as a float is out.
		{`-9223372036854775808.0`, result{err: "int_parsing_size"}},
		{`1e400`, result{err: "finite_number"}},
		{`"12"`, result{val: int64(12)}},
		{`" 12 "`, result{val: int64(12)}},
		{`"\t12\n"`, result{val: int64(12)}},
		{`"\u00a012"`, result{val: int64(12)}},
		{`"\u001c12"`, result{err: "int_parsing"}},
		{`"+1"`, result{val: int64(1)}},
		{`"-1"`, result{val: int64(-1)}},
		{`"-0"`, result{val: int64(0)}},
		{`"0001"`, result{val: int64(1)}},
		{`"1.0"`, result{val: int64(1)}},
		{`"1.000"`, result{val: int64(1)}},
		{`"-1.0"`, result{val: int64(-1)}},
		{`"1."`, result{err: "int_parsing"}},
		{`"1.5"`, result{err: "int_parsing"}},
		{`".0"`, result{err: "int_parsing"}},
		{`"1e3"`, result{err: "int_parsing"}},
		{`"0x10"`, result{err: "int_parsing"}},
		// The brief said pydantic rejects "1_000"; pydantic 2.13 accepts it.
		{`"1_000"`, result{val: int64(1000)}},
		{`"1_000.0"`, result{val: int64(1000)}},
		{`"_1"`, result{err: "int_parsing"}},
		{`"1_"`, result{err: "int_parsing"}},
		{`"1__0"`, result{err: "int_parsing"}},
		{`"1.0_0"`, result{err: "int_parsing"}},
		// pydantic-core's leading-zero stripper resumes at a '-'.
		{`"0-5"`, result{val: int64(-5)}},
		{`"+-1"`, result{err: "int_parsing"}},
		{`"- 1"`, result{err: "int_parsing"}},
		{`""`, result{err: "int_parsing"}},
		{`"   "`, result{err: "int_parsing"}},
		{`"abc"`, result{err: "int_parsing"}},
		{`"١٢"`, result{err: "int_parsing"}},
		{`"9223372036854775807"`, result{val: int64(math.MaxInt64)}},
		{`"9223372036854775808"`, result{err: "int_parsing_size"}},
		{`"-9223372036854775808"`, result{val: int64(math.MinInt64)}},
		{`"` + strings.Repeat("1", 5000) + `"`, result{err: "int_parsing_size"}},
		{`"0` + strings.Repeat("1", 5000) + `"`, result{err: "int_parsing"}},
		{`[1]`, result{err: "int_type"}},
		{`{}`, result{err: "int_type"}},
		{`null`, result{none: true}},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		p := o.OptInt("x")
		check(t, "int "+tt.raw, v, p, tt.want)
	}
}

func check[T comparable](t *testing.T, what string, v *Validator, p *T, want result) {
	t.Helper()
	errs := v.Errors()
	switch {
	case want.err != "":
		if p != nil || len(errs) != 1 || errs[0].Type != want.err {
			t.Errorf("%s: got %v %+v, want error %s", what, deref(p), errs, want.err)
		}
	case want.none:
		if p != nil || len(errs) != 0 {
			t.Errorf("%s: got %v %+v, want nil", what, deref(p), errs)
		}
	default:
		if p == nil || any(*p) != want.val || len(errs) != 0 {
			t.Errorf("%s: got %v %+v, want %v", what, deref(p), errs, want.val)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestNumberErrorMessages(t *testing.T) {
	tests := []struct{ raw, get, want string }{
		{`"x"`, "int", `[{"type":"int_parsing","loc":["body","x"],"msg":"Input should be a valid integer, unable to parse string as an integer"}]`},
		{`1.5`, "int", `[{"type":"int_from_float","loc":["body","x"],"msg":"Input should be a valid integer, got a number with a fractional part"}]`},
		{`1e30`, "int", `[{"type":"int_parsing_size","loc":["body","x"],"msg":"Unable to parse input string as an integer, exceeded maximum size"}]`},
		{`[]`, "int", `[{"type":"int_type","loc":["body","x"],"msg":"Input should be a valid integer"}]`},
		{`1e999`, "int", `[{"type":"finite_number","loc":["body","x"],"msg":"Input should be a finite number"}]`},
		{`"x"`, "float", `[{"type":"float_parsing","loc":["body","x"],"msg":"Input should be a valid number, unable to parse string as a number"}]`},
		{`{}`, "float", `[{"type":"float_type","loc":["body","x"],"msg":"Input should be a valid number"}]`},
		{`"inf"`, "float", `[{"type":"finite_number","loc":["body","x"],"msg":"Input should be a finite number"}]`},
		{`"x"`, "bool", `[{"type":"bool_parsing","loc":["body","x"],"msg":"Input should be a valid boolean, unable to interpret input"}]`},
		{`[]`, "bool", `[{"type":"bool_type","loc":["body","x"],"msg":"Input should be a valid boolean"}]`},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		switch tt.get {
		case "int":
			o.OptInt("x")
		case "float":
			o.OptFloat("x")
		case "bool":
			o.OptBool("x")
		}
		if got := errsJSON(t, v); got != tt.want {
			t.Errorf("%s %s:\ngot  %s\nwant %s", tt.get, tt.raw, got, tt.want)
		}
	}
}

func TestFloat(t *testing.T) {
	tests := []struct {
		raw  string
		want result
	}{
		{`1`, result{val: 1.0}},
		{`-1.5`, result{val: -1.5}},
		{`1e3`, result{val: 1000.0}},
		{`1E-2`, result{val: 0.01}},
		{`1e-400`, result{val: 0.0}},
		{`0.1`, result{val: 0.1}},
		{`12345678901234567890`, result{val: 12345678901234567890.0}},
		{`true`, result{val: 1.0}},
		{`false`, result{val: 0.0}},
		{`1e309`, result{err: "finite_number"}},
		{`-1e309`, result{err: "finite_number"}},
		// A JSON int too big for a float is OverflowError in Python:
		// pydantic calls that float_type.
		{`1` + strings.Repeat("0", 400), result{err: "float_type"}},
		{`"1.5"`, result{val: 1.5}},
		{`" 1.5 "`, result{val: 1.5}},
		{`"\u00a01.5"`, result{val: 1.5}},
		{`"+1.5"`, result{val: 1.5}},
		{`".5"`, result{val: 0.5}},
		{`"5."`, result{val: 5.0}},
		{`"1e5"`, result{val: 1e5}},
		{`"1.5E+3"`, result{val: 1500.0}},
		{`"1_000.5"`, result{val: 1000.5}},
		{`"1_.5"`, result{val: 1.5}},
		{`" 1_0"`, result{err: "float_parsing"}},
		{`"_1"`, result{err: "float_parsing"}},
		{`"1__0"`, result{err: "float_parsing"}},
		{`"1,5"`, result{err: "float_parsing"}},
		{`"0x10"`, result{err: "float_parsing"}},
		{`"1.5e"`, result{err: "float_parsing"}},
		{`"."`, result{err: "float_parsing"}},
		{`""`, result{err: "float_parsing"}},
		{`"inf"`, result{err: "finite_number"}},
		{`"-Infinity"`, result{err: "finite_number"}},
		{`"NaN"`, result{err: "finite_number"}},
		{`"nAn"`, result{err: "finite_number"}},
		{`"1e400"`, result{err: "finite_number"}},
		{`"infinit"`, result{err: "float_parsing"}},
		{`[1]`, result{err: "float_type"}},
		{`{}`, result{err: "float_type"}},
		{`null`, result{none: true}},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		check(t, "float "+tt.raw, v, o.OptFloat("x"), tt.want)
	}
	// Negative zero survives from a JSON float but not from a JSON int.
	_, o := body(t, `{"a":-0.0,"b":-0}`)
	if f := o.OptFloat("a"); f == nil || !math.Signbit(*f) {
		t.Error("-0.0 lost its sign")
	}
	if f := o.OptFloat("b"); f == nil || math.Signbit(*f) {
		t.Error("-0 (an int) should be +0.0")
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		raw  string
		want result
	}{
		{`true`, result{val: true}},
		{`false`, result{val: false}},
		{`0`, result{val: false}},
		{`1`, result{val: true}},
		{`-0`, result{val: false}},
		{`0.0`, result{val: false}},
		{`1.0`, result{val: true}},
		{`1e0`, result{val: true}},
		{`2`, result{err: "bool_parsing"}},
		{`-1`, result{err: "bool_parsing"}},
		{`2.0`, result{err: "bool_parsing"}},
		// Non-whole or out-of-int64 numbers are bool_type in pydantic.
		{`1.5`, result{err: "bool_type"}},
		{`0.5`, result{err: "bool_type"}},
		{`99999999999999999999`, result{err: "bool_type"}},
		{`1e400`, result{err: "bool_type"}},
		{`"0"`, result{val: false}},
		{`"1"`, result{val: true}},
		{`"off"`, result{val: false}},
		{`"ON"`, result{val: true}},
		{`"f"`, result{val: false}},
		{`"T"`, result{val: true}},
		{`"False"`, result{val: false}},
		{`"tRuE"`, result{val: true}},
		{`"n"`, result{val: false}},
		{`"Y"`, result{val: true}},
		{`"no"`, result{val: false}},
		{`"YES"`, result{val: true}},
		{`" true"`, result{err: "bool_parsing"}},
		{`"true "`, result{err: "bool_parsing"}},
		{`""`, result{err: "bool_parsing"}},
		{`"2"`, result{err: "bool_parsing"}},
		{`"1.0"`, result{err: "bool_parsing"}},
		{`"yeſ"`, result{err: "bool_parsing"}},
		{`[true]`, result{err: "bool_type"}},
		{`{}`, result{err: "bool_type"}},
		{`null`, result{none: true}},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		check(t, "bool "+tt.raw, v, o.OptBool("x"), tt.want)
	}
}

func TestParseBool(t *testing.T) {
	for s, want := range map[string]bool{"yes": true, "Off": false, "1": true, "0": false} {
		if got, ok := ParseBool(s); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", " 1", "2", "truee", "K"} {
		if _, ok := ParseBool(s); ok {
			t.Errorf("ParseBool(%q) accepted", s)
		}
	}
}

func TestTimeAccepted(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`"2024-01-02"`, "2024-01-02T00:00:00Z"},
		{`"2024-02-29"`, "2024-02-29T00:00:00Z"},
		{`"2024-01-02T03:04"`, "2024-01-02T03:04:00Z"},
		{`"2024-01-02T03:04:05"`, "2024-01-02T03:04:05Z"},
		{`"2024-01-02 03:04:05"`, "2024-01-02T03:04:05Z"},
		{`"2024-01-02_03:04:05z"`, "2024-01-02T03:04:05Z"},
		{`"2024-01-02t03:04:05.1Z"`, "2024-01-02T03:04:05.1Z"},
		{`"2024-01-02T03:04:05.123456789Z"`, "2024-01-02T03:04:05.123456Z"},
		{`"2024-01-02T03:04:05.9999999Z"`, "2024-01-02T03:04:05.999999Z"},
		{`"2024-01-02T03:04:05.123456789012345678901234567890Z"`, "2024-01-02T03:04:05.123456Z"},
		{`"2024-01-02T03:04:05,5"`, "2024-01-02T03:04:05.5Z"},
		{`"2024-01-02T03:04Z"`, "2024-01-02T03:04:00Z"},
		{`"2024-01-02T03:04:05+01:00"`, "2024-01-02T02:04:05Z"},
		{`"2024-01-02T03:04:05+0100"`, "2024-01-02T02:04:05Z"},
		{`"2024-01-02T03:04+05:30"`, "2024-01-01T21:34:00Z"},
		{`"2024-01-02T03:04:05-23:59"`, "2024-01-03T03:03:05Z"},
		{`"2024-01-02T03:04:05-00:00"`, "2024-01-02T03:04:05Z"},
		{`"2024-01-02T03:04:05\u221201:00"`, "2024-01-02T04:04:05Z"},
		{`"0001-01-01T00:00:00Z"`, "0001-01-01T00:00:00Z"},
		{`"9999-12-31T23:59:59.999999Z"`, "9999-12-31T23:59:59.999999Z"},
		// Unix timestamps: seconds, or milliseconds above 2e10.
		{`1700000000`, "2023-11-14T22:13:20Z"},
		{`"1700000000"`, "2023-11-14T22:13:20Z"},
		{`"+1700000000"`, "2023-11-14T22:13:20Z"},
		{`"-1700000000"`, "1916-02-18T01:46:40Z"},
		{`"1700000000.5"`, "2023-11-14T22:13:20.5Z"},
		{`1700000000123`, "2023-11-14T22:13:20.123Z"},
		{`20000000000`, "2603-10-11T11:33:20Z"},
		{`20000000001`, "1970-08-20T11:33:20.001Z"},
		{`2.5e10`, "1970-10-17T08:26:40Z"},
		{`1.5`, "1970-01-01T00:00:01.5Z"},
		{`0`, "1970-01-01T00:00:00Z"},
		{`"2024"`, "1970-01-01T00:33:44Z"},
		{`"20240102"`, "1970-08-23T06:15:02Z"},
		{`"1.5e3"`, "1970-01-01T00:25:00Z"},
		{`"1."`, "1970-01-01T00:00:01Z"},
		{`".5"`, "1970-01-01T00:00:00.5Z"},
		{`1.9999996`, "1970-01-01T00:00:02Z"},
		// pydantic quirks kept on purpose: a JSON float keeps |fraction|
		// after flooring, a string goes through speedate's arithmetic.
		{`-1.25`, "1969-12-31T23:59:58.25Z"},
		{`"-1.25"`, "1969-12-31T23:59:58.75Z"},
		{`1700000000123.25`, "2023-11-14T22:13:20.12325Z"},
		{`253402300799999`, "9999-12-31T23:59:59.999Z"},
		{`-62135596800000`, "0001-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		p := o.OptTime("x")
		if p == nil || len(v.Errors()) != 0 {
			t.Errorf("%s: got %v %s", tt.raw, p, errsJSON(t, v))
			continue
		}
		if got := p.Format(time.RFC3339Nano); got != tt.want || p.Location() != time.UTC {
			t.Errorf("%s: got %s (%v), want %s", tt.raw, got, p.Location(), tt.want)
		}
	}
}

func TestTimeRejected(t *testing.T) {
	const dd = "datetime_from_date_parsing"
	tests := []struct{ raw, typ, reason string }{
		{`""`, dd, "input is too short"},
		{`"2024-01"`, dd, "input is too short"},
		{`"2024-1-02"`, dd, "input is too short"},
		{`"1e10"`, dd, "input is too short"},
		{`"nan"`, dd, "input is too short"},
		{`"2024/01/02"`, dd, "invalid date separator, expected `-`"},
		{`"10000-01-01"`, dd, "invalid date separator, expected `-`"},
		{`"99999999999999999999"`, dd, "invalid date separator, expected `-`"},
		{`" 2024-01-02"`, dd, "invalid character in year"},
		{`"abcd-01-01"`, dd, "invalid character in year"},
		{`"2024-0a-01"`, dd, "invalid character in month"},
		{`"2024-01-0a"`, dd, "invalid character in day"},
		{`"2024-13-01"`, dd, "month value is outside expected range of 1-12"},
		{`"2024-00-01"`, dd, "month value is outside expected range of 1-12"},
		{`"2024-02-30"`, dd, "day value is outside expected range"},
		{`"2023-02-29"`, dd, "day value is outside expected range"},
		{`"2024-01-00"`, dd, "day value is outside expected range"},
		{`"2024-01-02T"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02Z"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T24:00:00"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T23:60:00"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T23:59:60"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T3:04"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04:05."`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04.5"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04:05+01"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04:05+24:00"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04:05+01:60"`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04:05 "`, dd, "unexpected extra characters at the end of the input"},
		{`"2024-01-02T03:04:05UTC"`, dd, "unexpected extra characters at the end of the input"},
		{`"253402300800000"`, dd, "dates after 9999 are not supported as unix timestamps"},
		{`"-99999999999999999"`, dd, "dates before 0000 are not supported as unix timestamps"},
		{`"0000-01-01"`, "datetime_parsing", "year 0 is out of range"},
		{`"0000-01-01T00:00:00Z"`, "datetime_parsing", "year 0 is out of range"},
		{`-62135596800001`, "datetime_parsing", "year 0 is out of range"},
		{`253402300800000`, "datetime_parsing", "dates after 9999 are not supported as unix timestamps"},
		{`1e20`, "datetime_parsing", "dates after 9999 are not supported as unix timestamps"},
		{`-1e20`, "datetime_parsing", "dates before 0000 are not supported as unix timestamps"},
		{`99999999999999999999`, "datetime_parsing", "dates after 9999 are not supported as unix timestamps"},
		{`-99999999999999999999`, "datetime_parsing", "dates before 0000 are not supported as unix timestamps"},
		// Documented deviation: its UTC form would be year 10000.
		{`"9999-12-31T23:59:59-01:00"`, "datetime_parsing", "year 10000 is out of range"},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		if p := o.OptTime("x"); p != nil {
			t.Errorf("%s: accepted as %v", tt.raw, p)
			continue
		}
		prefix := "Input should be a valid datetime or date, "
		if tt.typ == "datetime_parsing" {
			prefix = "Input should be a valid datetime, "
		}
		want := `[{"type":"` + tt.typ + `","loc":["body","x"],"msg":` + jsonStr(prefix+tt.reason) + `,"ctx":{"error":` + jsonStr(tt.reason) + `}}]`
		if got := errsJSON(t, v); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.raw, got, want)
		}
	}
	for _, raw := range []string{`true`, `false`, `[1]`, `{}`} {
		v, o := body(t, `{"x":`+raw+`}`)
		o.OptTime("x")
		if got := errsJSON(t, v); got != `[{"type":"datetime_type","loc":["body","x"],"msg":"Input should be a valid datetime"}]` {
			t.Errorf("%s: %s", raw, got)
		}
	}
}

func jsonStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestParseTime(t *testing.T) {
	got, err := ParseTime("2024-06-01T12:00:00+02:00")
	if err != nil || !got.Equal(time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("ParseTime = %v, %v", got, err)
	}
	_, err = ParseTime("2024-02-30")
	var te *TimeError
	if !errors.As(err, &te) || te.Type != "datetime_from_date_parsing" || te.Reason != "day value is outside expected range" ||
		err.Error() != "Input should be a valid datetime or date, day value is outside expected range" {
		t.Errorf("ParseTime error = %#v", err)
	}
}

func TestBounds(t *testing.T) {
	tests := []struct {
		raw, get string
		opts     []Opt
		want     string
	}{
		{`0`, "int", []Opt{Ge(1), Le(365)}, `[{"type":"greater_than_equal","loc":["body","x"],"msg":"Input should be greater than or equal to 1","ctx":{"ge":1}}]`},
		{`366`, "int", []Opt{Ge(1), Le(365)}, `[{"type":"less_than_equal","loc":["body","x"],"msg":"Input should be less than or equal to 365","ctx":{"le":365}}]`},
		{`1`, "int", []Opt{Ge(1), Le(365)}, `null`},
		{`365`, "int", []Opt{Ge(1), Le(365)}, `null`},
		{`"0"`, "int", []Opt{Ge(1)}, `[{"type":"greater_than_equal","loc":["body","x"],"msg":"Input should be greater than or equal to 1","ctx":{"ge":1}}]`},
		{`1`, "int", []Opt{Ge(1.5)}, `[{"type":"greater_than_equal","loc":["body","x"],"msg":"Input should be greater than or equal to 1.5","ctx":{"ge":1.5}}]`},
		{`2`, "int", []Opt{Ge(1.5)}, `null`},
		{`0`, "int", []Opt{Gt(0)}, `[{"type":"greater_than","loc":["body","x"],"msg":"Input should be greater than 0","ctx":{"gt":0}}]`},
		{`10`, "int", []Opt{Lt(10)}, `[{"type":"less_than","loc":["body","x"],"msg":"Input should be less than 10","ctx":{"lt":10}}]`},
		// Exact at int64 extremes, where float64 would round.
		{`9223372036854775807`, "int", []Opt{Le(9223372036854775807)}, `null`},
		{`9223372036854775807`, "int", []Opt{Lt(9223372036854775807)}, `null`},
		{`9007199254740993`, "int", []Opt{Le(9007199254740992)}, `[{"type":"less_than_equal","loc":["body","x"],"msg":"Input should be less than or equal to 9007199254740992","ctx":{"le":9007199254740992}}]`},
		{`-9223372036854775808`, "int", []Opt{Ge(-9223372036854775808)}, `null`},
		{`0.1`, "float", []Opt{Ge(0.5)}, `[{"type":"greater_than_equal","loc":["body","x"],"msg":"Input should be greater than or equal to 0.5","ctx":{"ge":0.5}}]`},
		{`1e21`, "float", []Opt{Le(1e20)}, `[{"type":"less_than_equal","loc":["body","x"],"msg":"Input should be less than or equal to 100000000000000000000","ctx":{"le":100000000000000000000}}]`},
		{`-1`, "float", []Opt{Ge(0)}, `[{"type":"greater_than_equal","loc":["body","x"],"msg":"Input should be greater than or equal to 0","ctx":{"ge":0}}]`},
		{`"90.5"`, "float", []Opt{Ge(-90), Le(90)}, `[{"type":"less_than_equal","loc":["body","x"],"msg":"Input should be less than or equal to 90","ctx":{"le":90}}]`},
		{`-90`, "float", []Opt{Ge(-90), Le(90)}, `null`},
	}
	for _, tt := range tests {
		v, o := body(t, `{"x":`+tt.raw+`}`)
		if tt.get == "int" {
			o.OptInt("x", tt.opts...)
		} else {
			o.OptFloat("x", tt.opts...)
		}
		if got := errsJSON(t, v); got != tt.want {
			t.Errorf("%s %s:\ngot  %s\nwant %s", tt.get, tt.raw, got, tt.want)
		}
	}
	// ctx carries an int for a whole bound on an int field.
	v, o := body(t, `{"x":0}`)
	o.OptInt("x", Ge(1))
	if c := v.Errors()[0].Ctx["ge"]; c != int64(1) {
		t.Errorf("ctx ge = %#v, want int64(1)", c)
	}
}

func TestStrList(t *testing.T) {
	tests := []struct {
		raw  string
		opts []Opt
		want []string
		errs string
	}{
		{`["a","b"]`, nil, []string{"a", "b"}, `null`},
		{`[]`, nil, []string{}, `null`},
		{`"a"`, nil, nil, `[{"type":"list_type","loc":["body","l"],"msg":"Input should be a valid list"}]`},
		{`{"0":"a"}`, nil, nil, `[{"type":"list_type","loc":["body","l"],"msg":"Input should be a valid list"}]`},
		{`["a",1,null,"b",[]]`, nil, nil, `[{"type":"string_type","loc":["body","l",1],"msg":"Input should be a valid string"},{"type":"string_type","loc":["body","l",2],"msg":"Input should be a valid string"},{"type":"string_type","loc":["body","l",4],"msg":"Input should be a valid string"}]`},
		{`[]`, []Opt{MinItems(1)}, nil, `[{"type":"too_short","loc":["body","l"],"msg":"List should have at least 1 item after validation, not 0","ctx":{"actual_length":0,"field_type":"List","min_length":1}}]`},
		{`["a"]`, []Opt{MinItems(2)}, nil, `[{"type":"too_short","loc":["body","l"],"msg":"List should have at least 2 items after validation, not 1","ctx":{"actual_length":1,"field_type":"List","min_length":2}}]`},
		{`["a","b","c"]`, []Opt{MaxItems(2)}, nil, `[{"type":"too_long","loc":["body","l"],"msg":"List should have at most 2 items after validation, not 3","ctx":{"actual_length":3,"field_type":"List","max_length":2}}]`},
		{`["` + strings.Repeat(`a","`, 25) + `a"]`, []Opt{MaxItems(25)}, nil, `[{"type":"too_long","loc":["body","l"],"msg":"List should have at most 25 items after validation, not 26","ctx":{"actual_length":26,"field_type":"List","max_length":25}}]`},
		// pydantic: too_long hides element errors; element errors hide too_short.
		{`["aaaa",1,2]`, []Opt{MaxItems(2), MaxLen(3)}, nil, `[{"type":"too_long","loc":["body","l"],"msg":"List should have at most 2 items after validation, not 3","ctx":{"actual_length":3,"field_type":"List","max_length":2}}]`},
		{`["aaaa"]`, []Opt{MinItems(2), MaxLen(3)}, nil, `[{"type":"string_too_long","loc":["body","l",0],"msg":"String should have at most 3 characters","ctx":{"max_length":3}}]`},
		{`["x","a"]`, []Opt{OneOf("a", "b")}, nil, `[{"type":"enum","loc":["body","l",0],"msg":"Input should be 'a' or 'b'","ctx":{"expected":"'a' or 'b'"}}]`},
		{`["a\u0000"]`, nil, nil, `[{"type":"value_error","loc":["body","l",0],"msg":"Value error, String must not contain NUL characters"}]`},
	}
	for _, tt := range tests {
		v, o := body(t, `{"l":`+tt.raw+`}`)
		got, ok := o.StrList("l", tt.opts...)
		if ok != (tt.want != nil) || strings.Join(got, "|") != strings.Join(tt.want, "|") || (tt.want != nil && got == nil) {
			t.Errorf("%s: got %q, %v", tt.raw, got, ok)
		}
		if e := errsJSON(t, v); e != tt.errs {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.raw, e, tt.errs)
		}
	}
}

func TestListAndObject(t *testing.T) {
	v, o := body(t, `{
		"items": [1, {"lat": "x"}, {}, null, {"lat": 1, "tags": ["a", 2]}],
		"name": 5,
		"geo": {"lat": "91", "inner": {"deep": []}}
	}`)
	items, ok := o.List("items", Required)
	if ok || len(items) != 5 || items[0] != nil || items[3] != nil || items[1] == nil {
		t.Fatalf("List = %v, %v", items, ok)
	}
	// The handler reads another field before walking the list; pydantic
	// still reports the whole list first, in element order.
	o.Str("name", Required)
	for _, it := range items {
		it.OptFloat("lat", Required)
		it.StrList("tags")
	}
	geo, ok := o.Object("geo", Required)
	if !ok {
		t.Fatal("Object failed")
	}
	geo.OptFloat("lat", Le(90))
	inner, _ := geo.Object("inner")
	inner.Str("deep")
	inner.Object("missing", Required)
	o.Object("name")
	want := `[` +
		`{"type":"model_attributes_type","loc":["body","items",0],"msg":"Input should be a valid dictionary or object to extract fields from"},` +
		`{"type":"float_parsing","loc":["body","items",1,"lat"],"msg":"Input should be a valid number, unable to parse string as a number"},` +
		`{"type":"missing","loc":["body","items",2,"lat"],"msg":"Field required"},` +
		`{"type":"model_attributes_type","loc":["body","items",3],"msg":"Input should be a valid dictionary or object to extract fields from"},` +
		`{"type":"string_type","loc":["body","items",4,"tags",1],"msg":"Input should be a valid string"},` +
		`{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string"},` +
		`{"type":"less_than_equal","loc":["body","geo","lat"],"msg":"Input should be less than or equal to 90","ctx":{"le":90}},` +
		`{"type":"string_type","loc":["body","geo","inner","deep"],"msg":"Input should be a valid string"},` +
		`{"type":"missing","loc":["body","geo","inner","missing"],"msg":"Field required"},` +
		`{"type":"model_attributes_type","loc":["body","name"],"msg":"Input should be a valid dictionary or object to extract fields from"}` +
		`]`
	if got := errsJSON(t, v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestListLength(t *testing.T) {
	v, o := body(t, `{"a":[],"b":[{},{}],"c":[{"x":1}],"d":[1]}`)
	if l, ok := o.List("a", MinItems(1)); ok || len(l) != 0 {
		t.Errorf("a: %v %v", l, ok)
	}
	if l, ok := o.List("b", MaxItems(1)); ok || l != nil {
		t.Errorf("b: %v %v", l, ok)
	}
	// too_short is dropped when an element has its own error, even one the
	// handler records later.
	c, _ := o.List("c", MinItems(2))
	c[0].Str("x")
	// A non-object element also counts as an element error.
	o.List("d", MinItems(2))
	want := `[` +
		`{"type":"too_short","loc":["body","a"],"msg":"List should have at least 1 item after validation, not 0","ctx":{"actual_length":0,"field_type":"List","min_length":1}},` +
		`{"type":"too_long","loc":["body","b"],"msg":"List should have at most 1 item after validation, not 2","ctx":{"actual_length":2,"field_type":"List","max_length":1}},` +
		`{"type":"string_type","loc":["body","c",0,"x"],"msg":"Input should be a valid string"},` +
		`{"type":"model_attributes_type","loc":["body","d",0],"msg":"Input should be a valid dictionary or object to extract fields from"}` +
		`]`
	if got := errsJSON(t, v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	v, o = body(t, `{"c":[{"x":"ok"}]}`)
	c, _ = o.List("c", MinItems(2))
	c[0].Str("x")
	if got := errsJSON(t, v); !strings.Contains(got, `"too_short"`) {
		t.Errorf("clean elements should keep too_short: %s", got)
	}
}

func TestAddOrdering(t *testing.T) {
	v, o := body(t, `{"l":[{"a":1},{"a":2}],"z":1}`)
	l, _ := o.List("l")
	o.Str("z")
	l[1].Add(omi.FieldError{Type: "value_error", Loc: l[1].Loc("a"), Msg: "Value error, second"})
	l[0].Add(omi.FieldError{Type: "value_error", Loc: l[0].Loc("a"), Msg: "Value error, first"})
	v.Add(omi.FieldError{Type: "value_error", Loc: []any{"body"}, Msg: "Value error, last"})
	want := `[{"type":"value_error","loc":["body","l",0,"a"],"msg":"Value error, first"},` +
		`{"type":"value_error","loc":["body","l",1,"a"],"msg":"Value error, second"},` +
		`{"type":"string_type","loc":["body","z"],"msg":"Input should be a valid string"},` +
		`{"type":"value_error","loc":["body"],"msg":"Value error, last"}]`
	if got := errsJSON(t, v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestInputRecorded(t *testing.T) {
	v, o := body(t, `{"a":"x","b":1.50,"c":true,"d":[1]}`)
	o.OptInt("a")
	o.OptStr("b")
	o.OptStr("c")
	o.OptStr("d")
	errs := v.Errors()
	if errs[0].Input != "x" || errs[1].Input != json.Number("1.50") || errs[2].Input != true || errs[3].Input != nil {
		t.Errorf("inputs = %#v %#v %#v %#v", errs[0].Input, errs[1].Input, errs[2].Input, errs[3].Input)
	}
	if _, isNum := errs[1].Input.(json.Number); !isNum {
		t.Errorf("number input is %T, want json.Number (the literal as sent)", errs[1].Input)
	}
}

func TestErrorCap(t *testing.T) {
	raw := `{"l":[` + strings.Repeat(`1,`, 5000) + `1]}`
	v, o := body(t, raw)
	o.StrList("l")
	if n := len(v.Errors()); n != maxErrors {
		t.Errorf("%d errors, want the cap %d", n, maxErrors)
	}
}

func TestQuery(t *testing.T) {
	vals, _ := url.ParseQuery("n=1&n=2&f=1.5&b=yes&s=&e=&t=2024-01-02T03:04:05Z&bad=%FFx&nul=a%00b&tags=a&tags=b")
	v := New()
	q := v.Query(vals)
	if n := q.Int("n", 7); n != 2 {
		t.Errorf("repeated key: Int = %d, want the last value 2", n)
	}
	if n := q.Int("absent", 7); n != 7 {
		t.Errorf("default: %d", n)
	}
	if f, ok := q.Float("f", Required); !ok || f != 1.5 {
		t.Errorf("Float = %v %v", f, ok)
	}
	if !q.Bool("b", false) || q.Bool("absent", true) != true {
		t.Error("Bool")
	}
	if s, ok := q.Str("s"); !ok || s != "" {
		t.Errorf("empty Str = %q %v", s, ok)
	}
	if p := q.OptStr("absent"); p != nil {
		t.Error("OptStr absent")
	}
	if p := q.OptTime("t"); p == nil || !p.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("OptTime = %v", p)
	}
	if s, _ := q.Str("bad"); s != "\ufffdx" {
		t.Errorf("invalid UTF-8 = %q", s)
	}
	if l, ok := q.StrList("tags", MaxItems(5)); !ok || strings.Join(l, ",") != "a,b" {
		t.Errorf("StrList = %v %v", l, ok)
	}
	if e := errsJSON(t, v); e != "null" {
		t.Fatalf("unexpected errors %s", e)
	}

	// Empty values are parse errors for every non-string type.
	q.OptInt("e")
	q.OptFloat("e")
	q.OptBool("e")
	q.OptTime("e")
	q.Str("e", MinLen(1))
	q.Float("missing", Required)
	q.Int("missing2", 0, Required)
	q.Str("nul")
	q.OptInt("n", Ge(5))
	q.StrList("tags", MaxItems(1))
	want := `[` +
		`{"type":"int_parsing","loc":["query","e"],"msg":"Input should be a valid integer, unable to parse string as an integer"},` +
		`{"type":"float_parsing","loc":["query","e"],"msg":"Input should be a valid number, unable to parse string as a number"},` +
		`{"type":"bool_parsing","loc":["query","e"],"msg":"Input should be a valid boolean, unable to interpret input"},` +
		`{"type":"datetime_from_date_parsing","loc":["query","e"],"msg":"Input should be a valid datetime or date, input is too short","ctx":{"error":"input is too short"}},` +
		`{"type":"string_too_short","loc":["query","e"],"msg":"String should have at least 1 character","ctx":{"min_length":1}},` +
		`{"type":"missing","loc":["query","missing"],"msg":"Field required"},` +
		`{"type":"missing","loc":["query","missing2"],"msg":"Field required"},` +
		`{"type":"value_error","loc":["query","nul"],"msg":"Value error, String must not contain NUL characters"},` +
		`{"type":"greater_than_equal","loc":["query","n"],"msg":"Input should be greater than or equal to 5","ctx":{"ge":5}},` +
		`{"type":"too_long","loc":["query","tags"],"msg":"List should have at most 1 item after validation, not 2","ctx":{"actual_length":2,"field_type":"List","max_length":1}}` +
		`]`
	if got := errsJSON(t, v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if v.Errors()[0].Input != "" {
		t.Errorf("query input = %#v", v.Errors()[0].Input)
	}
}

func TestQueryAndBodyShareOrder(t *testing.T) {
	v := New()
	q := v.Query(url.Values{"limit": {"x"}})
	q.Int("limit", 10)
	o := v.Body([]byte(`{"a":1}`))
	o.Str("a")
	if got := errsJSON(t, v); !strings.HasPrefix(got, `[{"type":"int_parsing","loc":["query","limit"]`) || !strings.Contains(got, `"loc":["body","a"]`) {
		t.Errorf("got %s", got)
	}
}

func FuzzBody(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"a":1}`, `{"a":"1_000","b":[1,"2",{"c":null}]}`,
		`{"a":{"a":{"a":[{"a":"2024-01-02T03:04:05Z"}]}}}`, `{"a":1e400,"a":-0.0}`,
		`{"a":"\ud800\u0000\"","b":true}`, "{\"a\":\"\xff\"}", `[[[[[[[[`, `{"a":"0-5"}`,
		`{"a":"9999-12-31T23:59:59-23:59"}`, `{"a":18446744073709551616}`, `{"a":"1700000000.5"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := New()
		o := v.Body(data)
		walk(o, 0)
		// Every string in the document also goes through the scalar parsers.
		s := string(data)
		ParseTime(s)
		ParseBool(s)
		q := v.Query(url.Values{"q": {s}})
		q.OptInt("q")
		q.OptFloat("q")
		q.OptBool("q")
		q.OptTime("q")
		q.Str("q", MinLen(1), MaxLen(3))
		q.StrList("q", OneOf("a"))
		for _, fe := range v.Errors() {
			if fe.Type == "" || fe.Msg == "" || len(fe.Loc) == 0 {
				t.Fatalf("malformed error %#v", fe)
			}
			if root := fe.Loc[0]; root != "body" && root != "query" {
				t.Fatalf("loc root %v", root)
			}
			if !utf8.ValidString(fe.Msg) {
				t.Fatalf("invalid UTF-8 msg %q", fe.Msg)
			}
			if _, err := json.Marshal(fe); err != nil {
				t.Fatalf("unmarshalable error %#v: %v", fe, err)
			}
		}
		if (v.Err() == nil) != (len(v.Errors()) == 0) {
			t.Fatal("Err and Errors disagree")
		}
	})
}

func walk(o *Obj, depth int) {
	if depth > 70 {
		return
	}
	keys := append(o.Keys(), "absent")
	for _, k := range keys {
		o.Has(k)
		o.IsNull(k)
		o.Str(k, MinLen(1), MaxLen(5))
		o.OptStr(k, OneOf("a", "b"))
		o.OptInt(k, Ge(0), Le(10))
		o.Int(k, Required, Gt(-1e300), Lt(1e300))
		o.OptFloat(k, Ge(-1), Le(1))
		o.Float(k)
		o.OptBool(k)
		o.Bool(k, Nullable)
		if t := o.OptTime(k); t != nil {
			if _, err := t.MarshalJSON(); err != nil {
				panic("accepted a time that cannot be marshalled: " + err.Error())
			}
		}
		o.Time(k, Required)
		o.StrList(k, MinItems(1), MaxItems(3))
		if l, _ := o.List(k, MinItems(2)); l != nil {
			for _, e := range l {
				walk(e, depth+1)
			}
		}
		if c, ok := o.Object(k, Required); ok {
			walk(c, depth+1)
		}
	}
}

func BenchmarkBody(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"text":"hello world","text_source":"audio_transcript","started_at":"2024-01-02T03:04:05.123Z",` +
		`"geolocation":{"latitude":52.5,"longitude":"13.4","address":"Berlin"},"language":"en","segments":[`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"text":"segment text \u00e9 with an escape","speaker":"SPEAKER_00","start":1.5,"end":2,"is_user":false}`)
	}
	sb.WriteString(`]}`)
	raw := []byte(sb.String())
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		v := New()
		o := v.Body(raw)
		o.Str("text", Required, MinLen(1), MaxLen(100000))
		o.OptStr("text_source", OneOf("audio_transcript", "message", "other_text"))
		o.OptTime("started_at")
		if g, ok := o.Object("geolocation"); ok {
			g.Float("latitude", Required, Ge(-90), Le(90))
			g.Float("longitude", Required, Ge(-180), Le(180))
			g.OptStr("address")
		}
		o.OptStr("language")
		segs, _ := o.List("segments", Required, MinItems(1), MaxItems(500))
		for _, s := range segs {
			s.Str("text", Required)
			s.OptStr("speaker")
			s.Float("start", Required)
			s.Float("end", Required)
			s.OptBool("is_user")
		}
		if v.Err() != nil {
			b.Fatal(v.Err())
		}
	}
}
