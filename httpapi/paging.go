package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

// AppliedLimitHeader reports the limit a list actually used, since upstream
// clamps out-of-range limits silently.
const AppliedLimitHeader = "X-Applied-Limit"

// listing is a list request's paging: upstream's limit and offset, plus our
// cursor. Negative values are 422; a limit above the cap is clamped to it and
// a limit of 0 to 1, as upstream clamps.
type listing struct {
	omi.Page
	cursor string
}

// parseListing reads limit, offset and cursor. after is the resource's cursor
// struct to decode into (e.g. &omi.MemoryCursor{}); it becomes Page.After.
func parseListing(v *lax.Validator, q *lax.Query, defLimit, maxLimit int64, after any) listing {
	limit := q.Int("limit", defLimit, lax.Ge(0))
	offset := q.Int("offset", 0, lax.Ge(0))
	l := listing{Page: omi.Page{Limit: int(min(max(limit, 1), maxLimit)), Offset: int(offset)}}
	if c, ok := q.Str("cursor"); ok && c != "" {
		if err := omi.DecodeCursor(c, after); err != nil {
			v.Add(err.(*omi.Error).Fields[0])
		} else {
			l.After = after
			l.cursor = c
		}
	}
	return l
}

// fetch asks the store for one item more than the page, so we know whether a
// next page exists without a count query.
func (l listing) fetch() omi.Page {
	p := l.Page
	p.Limit++
	return p
}

// finish trims the extra item, sets the paging headers and returns the page.
// next is the cursor of the last item kept.
func finish[T any](w http.ResponseWriter, r *http.Request, l listing, items []T, next func(T) any) []T {
	w.Header().Set(AppliedLimitHeader, strconv.Itoa(l.Limit))
	if len(items) <= l.Limit {
		return items
	}
	items = items[:l.Limit]
	q := r.URL.Query()
	q.Del("offset")
	q.Set("cursor", omi.EncodeCursor(next(items[len(items)-1])))
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Set("Link", "<"+u.String()+`>; rel="next"`)
	return items
}
