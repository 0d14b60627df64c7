// Package lax reads request input as leniently as pydantic v2's lax mode and
// reports failures in pydantic's error shape.
package lax

import (
	"math"
	"slices"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// maxErrors caps what one request can make us hold: a few megabytes of
// "[1,1,1,...]" for a list of strings would otherwise be millions of
// FieldErrors. pydantic has no cap; no real client gets near it.
const maxErrors = 1000

// A Validator collects field errors for one request. It is not safe for
// concurrent use.
type Validator struct {
	entries []entry
	seq     uint32
}

// entry orders errors the way pydantic would emit them. key is the path of
// sequence numbers from the root to the getter call that recorded it, so
// everything under one List or Object call sorts together (pydantic reports
// a whole list before the next field), whenever the handler walks it.
type entry struct {
	fe  omi.FieldError
	key []uint32
	// unless drops this entry when any other entry's key has this prefix:
	// pydantic reports too_short only when the elements themselves passed.
	unless []uint32
}

// New returns an empty Validator.
func New() *Validator { return &Validator{} }

func (v *Validator) next() uint32 {
	s := v.seq
	v.seq++
	return s
}

// full reports whether further errors would be dropped, so callers can skip
// building them.
func (v *Validator) full() bool { return len(v.entries) >= maxErrors }

func (v *Validator) record(prefix []uint32, fe omi.FieldError, unless []uint32) {
	s := v.next()
	if v.full() {
		return
	}
	key := make([]uint32, len(prefix)+1)
	copy(key, prefix)
	key[len(prefix)] = s
	v.entries = append(v.entries, entry{fe: fe, key: key, unless: unless})
}

// Add records a hand-written check's error after everything recorded so far.
func (v *Validator) Add(fe omi.FieldError) {
	v.record(nil, fe, nil)
}

// Err returns nil, or an *omi.Error with Code omi.EINVALID carrying
// Errors().
func (v *Validator) Err() error {
	if len(v.entries) == 0 {
		return nil
	}
	return omi.Invalid(v.Errors()...)
}

// Errors returns the recorded errors in pydantic's order.
func (v *Validator) Errors() []omi.FieldError {
	kept := make([]*entry, 0, len(v.entries))
	for i := range v.entries {
		e := &v.entries[i]
		if e.unless != nil && v.hasOtherUnder(e, e.unless) {
			continue
		}
		kept = append(kept, e)
	}
	slices.SortStableFunc(kept, func(a, b *entry) int { return slices.Compare(a.key, b.key) })
	out := make([]omi.FieldError, len(kept))
	for i, e := range kept {
		out[i] = e.fe
	}
	return out
}

func (v *Validator) hasOtherUnder(self *entry, prefix []uint32) bool {
	for i := range v.entries {
		e := &v.entries[i]
		if e != self && len(e.key) > len(prefix) && slices.Equal(e.key[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// Body parses a JSON request body; the returned Obj's loc is ["body"]. On
// any error it records it and returns an Obj whose getters all return zero
// values and record nothing.
func (v *Validator) Body(raw []byte) *Obj {
	if isBlank(raw) {
		v.Add(omi.FieldError{Type: "missing", Loc: []any{"body"}, Msg: "Field required"})
		return &Obj{}
	}
	d, jerr := parseJSON(raw)
	if jerr != nil {
		v.Add(omi.FieldError{
			Type: "json_invalid",
			Loc:  []any{"body", jerr.pos},
			Msg:  "JSON decode error",
			Ctx:  map[string]any{"error": jerr.msg},
		})
		return &Obj{}
	}
	switch d.toks[0].kind {
	case kObj:
		return &Obj{v: v, d: d, idx: -1}
	case kNull:
		// FastAPI treats a JSON null body as no body at all.
		v.Add(omi.FieldError{Type: "missing", Loc: []any{"body"}, Msg: "Field required"})
	default:
		v.Add(failureError(errModelAttrs, []any{"body"}, d.input(0), true))
	}
	return &Obj{}
}

func isBlank(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

func failureError(f *failure, loc []any, in input, withInput bool) omi.FieldError {
	fe := omi.FieldError{Type: f.typ, Loc: loc, Msg: f.msg, Ctx: f.ctx}
	if withInput {
		fe.Input = inputValue(in)
	}
	return fe
}

func missing(loc []any) omi.FieldError {
	return omi.FieldError{Type: "missing", Loc: loc, Msg: "Field required"}
}

// Obj is a JSON object at some loc. Getters record errors on the Validator
// and return zero values on error. All methods are safe on a nil *Obj, which
// behaves like one whose Body failed: getters return zero values and record
// nothing.
type Obj struct {
	v *Validator
	d *doc
	t int // tape index of the object

	// Where this object sits, kept as a parent link so that a list of a
	// million elements does not build a million locs nobody reads.
	up   *Obj
	name string // field name in up
	idx  int    // index in up's list `name`, or -1
	seq  uint32 // sequence number of the Object/List call that made it
}

func (o *Obj) live() bool { return o != nil && o.d != nil }

func (o *Obj) loc(extra int) []any {
	if o.up == nil {
		l := make([]any, 1, 1+extra)
		l[0] = "body"
		return l
	}
	n := 1
	if o.idx >= 0 {
		n = 2
	}
	l := o.up.loc(extra + n)
	l = append(l, o.name)
	if o.idx >= 0 {
		l = append(l, o.idx)
	}
	return l
}

func (o *Obj) key() []uint32 {
	if o.up == nil {
		return nil
	}
	k := append(o.up.key(), o.seq)
	if o.idx >= 0 {
		k = append(k, uint32(o.idx)) // fits: bodies are under 4 GiB
	}
	return k
}

// Loc is the loc of field name: o's loc plus name, in a fresh slice.
func (o *Obj) Loc(name string) []any {
	if o == nil {
		return []any{"body", name}
	}
	return append(o.loc(1), name)
}

// Add records a hand-written check's error for a field of o, ordered with
// o's other errors (which matters for elements of a list).
func (o *Obj) Add(fe omi.FieldError) {
	if !o.live() {
		return
	}
	o.v.record(o.key(), fe, nil)
}

func (o *Obj) fail(name string, f *failure, in input) {
	if o.v.full() {
		return
	}
	o.v.record(o.key(), failureError(f, o.Loc(name), in, true), nil)
}

func (o *Obj) lookup(name string) int {
	if !o.live() {
		return -1
	}
	return o.d.lookup(o.t, name)
}

// Has reports whether key name is present, even if null.
func (o *Obj) Has(name string) bool { return o.lookup(name) >= 0 }

// IsNull reports whether key name is present and JSON null.
func (o *Obj) IsNull(name string) bool {
	i := o.lookup(name)
	return i >= 0 && o.d.toks[i].kind == kNull
}

// Keys returns the distinct keys present, in first-seen order.
func (o *Obj) Keys() []string {
	if !o.live() {
		return nil
	}
	return o.d.keys(o.t)
}

const (
	stAbsent = iota
	stNull
	stValue
)

// field finds name and records "missing" when it is absent and required.
func (o *Obj) field(name string, c *config) (input, int, int) {
	i := o.lookup(name)
	if i < 0 {
		if c.required && o.live() {
			o.v.record(o.key(), missing(o.Loc(name)), nil)
		}
		return input{}, -1, stAbsent
	}
	in := o.d.input(i)
	if in.kind == kNull {
		return in, i, stNull
	}
	return in, i, stValue
}

// scalar runs check on field name. For the Opt* forms (optForm) null is a
// valid "no value"; for the value forms it is the type error unless Nullable.
// check takes config by value: behind a func value a pointer would make
// every getter call heap-allocate its config.
func scalar[T any](o *Obj, name string, opts []Opt, optForm bool, check func(input, config) (T, *failure)) (T, bool) {
	var zero T
	if !o.live() {
		return zero, false
	}
	c := configure(opts)
	in, _, st := o.field(name, &c)
	if st == stAbsent || (st == stNull && (optForm || c.nullable)) {
		return zero, false
	}
	x, f := check(in, c)
	if f != nil {
		o.fail(name, f, in)
		return zero, false
	}
	return x, true
}

func ptr[T any](x T, ok bool) *T {
	if !ok {
		return nil
	}
	return &x
}

// Str returns a required-or-defaulted string field; ok is false when it is
// absent, null (an error unless Nullable) or invalid.
func (o *Obj) Str(name string, opts ...Opt) (string, bool) {
	return scalar(o, name, opts, false, checkStr)
}

// OptStr returns a nullable string field: nil when absent, null or invalid.
func (o *Obj) OptStr(name string, opts ...Opt) *string {
	return ptr(scalar(o, name, opts, true, checkStr))
}

// Int returns a non-nullable int field.
func (o *Obj) Int(name string, opts ...Opt) (int64, bool) {
	return scalar(o, name, opts, false, checkInt)
}

// OptInt returns a nullable int field.
func (o *Obj) OptInt(name string, opts ...Opt) *int64 {
	return ptr(scalar(o, name, opts, true, checkInt))
}

// Float returns a non-nullable float field.
func (o *Obj) Float(name string, opts ...Opt) (float64, bool) {
	return scalar(o, name, opts, false, checkFloat)
}

// OptFloat returns a nullable float field.
func (o *Obj) OptFloat(name string, opts ...Opt) *float64 {
	return ptr(scalar(o, name, opts, true, checkFloat))
}

// Bool returns a non-nullable bool field.
func (o *Obj) Bool(name string, opts ...Opt) (bool, bool) {
	return scalar(o, name, opts, false, checkBool)
}

// OptBool returns a nullable bool field.
func (o *Obj) OptBool(name string, opts ...Opt) *bool {
	return ptr(scalar(o, name, opts, true, checkBool))
}

// Time returns a non-nullable datetime field, in UTC.
func (o *Obj) Time(name string, opts ...Opt) (time.Time, bool) {
	return scalar(o, name, opts, false, checkTime)
}

// OptTime returns a nullable datetime field, in UTC.
func (o *Obj) OptTime(name string, opts ...Opt) *time.Time {
	return ptr(scalar(o, name, opts, true, checkTime))
}

func checkInt(in input, c config) (int64, *failure) {
	n, f := coerceInt(in)
	if f == nil {
		f = checkIntBounds(n, &c)
	}
	return n, f
}

func checkFloat(in input, c config) (float64, *failure) {
	x, f := coerceFloat(in)
	if f == nil {
		f = checkFloatBounds(x, &c)
	}
	return x, f
}

func checkBool(in input, _ config) (bool, *failure) { return coerceBool(in) }

func checkTime(in input, _ config) (time.Time, *failure) { return coerceTime(in) }

// container finds a list or object field. Unlike scalars these are nullable
// unless Required (and not Nullable).
func (o *Obj) container(name string, c *config, kind uint8, typeErr *failure) (int, bool) {
	in, i, st := o.field(name, c)
	switch {
	case st == stAbsent:
		return -1, false
	case st == stNull && (!c.required || c.nullable):
		return -1, false
	case o.d.toks[i].kind != kind:
		o.fail(name, typeErr, in)
		return -1, false
	}
	return i, true
}

// StrList returns a list of strings. String options (MinLen, MaxLen, OneOf)
// apply to each element, MinItems and MaxItems to the list. It returns
// nil, false when the field is absent, null or has any error.
func (o *Obj) StrList(name string, opts ...Opt) ([]string, bool) {
	if !o.live() {
		return nil, false
	}
	c := configure(opts)
	i, ok := o.container(name, &c, kArr, errListType)
	if !ok {
		return nil, false
	}
	n := int(o.d.toks[i].a)
	// pydantic stops at the first element past max_length and reports only
	// too_long, whatever the elements held.
	if c.maxItems >= 0 && n > c.maxItems {
		o.fail(name, tooLong(n, c.maxItems), input{kind: kArr})
		return nil, false
	}
	out := make([]string, 0, n)
	bad := false
	for k, j := range o.d.elems(i) {
		in := o.d.input(j)
		s, f := checkStr(in, c)
		if f != nil {
			bad = true
			if o.v.full() {
				break
			}
			o.v.record(o.key(), failureError(f, append(o.Loc(name), k), in, true), nil)
			continue
		}
		out = append(out, s)
	}
	if bad {
		return nil, false
	}
	if c.minItems >= 0 && n < c.minItems {
		o.fail(name, tooShort(n, c.minItems), input{kind: kArr})
		return nil, false
	}
	return out, true
}

// List returns a list of objects, each an Obj at loc [..., name, i]. An
// element that is not an object is a model_attributes_type error and a nil
// entry (nil *Obj is safe to call). ok is false when the field is absent,
// null, or List itself recorded an error; elements' own field errors are the
// caller's to collect as it walks them.
func (o *Obj) List(name string, opts ...Opt) ([]*Obj, bool) {
	if !o.live() {
		return nil, false
	}
	c := configure(opts)
	i, ok := o.container(name, &c, kArr, errListType)
	if !ok {
		return nil, false
	}
	n := int(o.d.toks[i].a)
	if c.maxItems >= 0 && n > c.maxItems {
		o.fail(name, tooLong(n, c.maxItems), input{kind: kArr})
		return nil, false
	}
	seq := o.v.next()
	prefix := append(o.key(), seq)
	objs := make([]Obj, n)
	out := make([]*Obj, n)
	bad := false
	for k, j := range o.d.elems(i) {
		if o.d.toks[j].kind != kObj {
			bad = true
			if o.v.full() {
				continue
			}
			fe := failureError(errModelAttrs, append(o.Loc(name), k), o.d.input(j), true)
			o.v.record(append(prefix[:len(prefix):len(prefix)], uint32(k)), fe, nil)
			continue
		}
		objs[k] = Obj{v: o.v, d: o.d, t: j, up: o, name: name, idx: k, seq: seq}
		out[k] = &objs[k]
	}
	if c.minItems >= 0 && n < c.minItems {
		bad = true
		fe := failureError(tooShort(n, c.minItems), o.Loc(name), input{kind: kArr}, false)
		o.v.record(append(prefix[:len(prefix):len(prefix)], math.MaxUint32), fe, prefix)
	}
	return out, !bad
}

// Object returns a nested object field as an Obj at loc [..., name].
func (o *Obj) Object(name string, opts ...Opt) (*Obj, bool) {
	if !o.live() {
		return nil, false
	}
	c := configure(opts)
	i, ok := o.container(name, &c, kObj, errModelAttrs)
	if !ok {
		return nil, false
	}
	return &Obj{v: o.v, d: o.d, t: i, up: o, name: name, idx: -1, seq: o.v.next()}, true
}
