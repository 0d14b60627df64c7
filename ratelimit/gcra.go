package ratelimit

import (
	"fmt"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// gcra is the arithmetic both limiters share (redis_rate's Lua script does
// the same in Redis): a request is one emission interval of the window, and
// a bucket holds at most Quota of them.
type gcra struct {
	limit    omi.Limit
	interval int64 // ns per request: Window / Quota
	burst    int64 // ns of credit a full bucket holds: interval × Quota
}

func newGCRA(l omi.Limit) gcra {
	e := int64(l.Window) / int64(l.Quota)
	return gcra{limit: l, interval: e, burst: e * int64(l.Quota)}
}

func validate(l omi.Limit) error {
	if l.Quota <= 0 || l.Window <= 0 || int64(l.Window)/int64(l.Quota) == 0 {
		return fmt.Errorf("ratelimit: invalid limit %q: %d per %s", l.Name, l.Quota, l.Window)
	}
	return nil
}

// wait is how long (ns) a bucket at tat makes a request wait; <= 0 means
// it has room now. tat is never before now.
func (g gcra) wait(tat, now int64) int64 {
	return tat + g.interval - g.burst - now
}

// state reports a bucket at tat (never before now).
func (g gcra) state(tat, now int64) omi.BucketState {
	return omi.BucketState{
		Limit:     g.limit,
		Remaining: int((g.burst - (tat - now)) / g.interval),
		Reset:     time.Duration(tat - now),
	}
}
