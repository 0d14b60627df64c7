package omi

import (
	"context"
	"time"
)

// Upstream's rate-limit policies: hourly buckets per developer key, one per
// kind of work, named as upstream names them (and as RateLimit-Policy
// reports them).
const (
	PolicyMemoriesRead               = "dev:memories_read"
	PolicyMemories                   = "dev:memories"
	PolicyMemoriesBatch              = "dev:memories_batch"
	PolicyActionItemsRead            = "dev:action_items_read"
	PolicyActionItemsWrite           = "dev:action_items_write"
	PolicyConversationsRead          = "dev:conversations_read"
	PolicyConversationDetailRead     = "dev:conversation_detail_read"
	PolicyConversationTranscriptRead = "dev:conversation_transcript_read"
	PolicyConversations              = "dev:conversations"
	PolicyAsk                        = "dev:ask"
	PolicyGoalsRead                  = "dev:goals_read"
	PolicyGoalsWrite                 = "dev:goals_write"
)

// PolicyBases are upstream's hourly limits per key before the boost factor
// (upstream's effective limit is max(1, int(base × boost))).
var PolicyBases = map[string]int{
	PolicyMemoriesRead:               120,
	PolicyMemories:                   120,
	PolicyMemoriesBatch:              15,
	PolicyActionItemsRead:            120,
	PolicyActionItemsWrite:           120,
	PolicyConversationsRead:          60,
	PolicyConversationDetailRead:     60,
	PolicyConversationTranscriptRead: 25,
	PolicyConversations:              25,
	PolicyAsk:                        25,
	PolicyGoalsRead:                  120,
	PolicyGoalsWrite:                 120,
}

// Limit is one bucket's policy: Quota requests per Window. Limiters treat it
// as a GCRA (a bucket of Quota tokens refilled evenly over Window), so a
// client may burst up to Quota and then proceeds at Quota/Window.
type Limit struct {
	// Name is the policy as clients see it ("minute", "day", "dev:memories").
	Name   string
	Quota  int
	Window time.Duration
}

// Charge is one bucket a request counts against: Key names the bucket
// (policy and subject, e.g. "minute:k:<key id>"), Limit says how big it is.
type Charge struct {
	Key   string
	Limit Limit
}

// BucketState is what a decision left a bucket at.
type BucketState struct {
	Limit Limit
	// Remaining is how many more requests the bucket allows right now.
	Remaining int
	// Reset is how long until Remaining is back to Quota.
	Reset time.Duration
	// RetryAfter is zero when the bucket had room; otherwise how long until
	// it has room for one request.
	RetryAfter time.Duration
}

// Decision is a limiter's answer for one request.
type Decision struct {
	Allowed bool
	// Buckets holds one state per charge, in the charges' order.
	Buckets []BucketState
}

// Limiter decides whether a request may proceed. Allow charges every bucket
// or none: when any bucket is out of room the request is refused and no
// bucket is charged for it, so a client retrying politely is not punished.
// Charges must name distinct keys. An error means the limiter could not
// decide (its backend is down); callers choose to fail open or closed.
type Limiter interface {
	Allow(ctx context.Context, charges ...Charge) (Decision, error)
}
