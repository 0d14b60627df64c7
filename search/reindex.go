package search

import (
	"context"
	"fmt"

	omi "github.com/omi-devapi/omi-devapi"
)

// ReindexOptions tune Reindex.
type ReindexOptions struct {
	// All re-embeds every row; otherwise only rows without a vector of the
	// embedder's model.
	All bool
	// BatchSize is how many rows are embedded and written at a time
	// (default 128).
	BatchSize int
	// Progress, when set, is told after each batch.
	Progress func(kind string, done int)
}

// ReindexStats counts the vectors written.
type ReindexStats struct {
	Memories, Conversations int
}

// Reindex gives every row a vector by emb: after a model change, or for
// rows written while the embedder was down. Batches are read, embedded
// outside any transaction, then written; a row edited in between keeps the
// vector its edit stored. Safe to run while the server runs.
func Reindex(ctx context.Context, store omi.SearchStore, emb omi.Embedder, opt ReindexOptions) (ReindexStats, error) {
	var st ReindexStats
	if opt.BatchSize <= 0 {
		opt.BatchSize = 128
	}
	for _, kind := range []string{omi.KindMemory, omi.KindConversation} {
		n, err := reindexKind(ctx, store, emb, kind, opt)
		if kind == omi.KindMemory {
			st.Memories = n
		} else {
			st.Conversations = n
		}
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

func reindexKind(ctx context.Context, store omi.SearchStore, emb omi.Embedder, kind string, opt ReindexOptions) (int, error) {
	done := 0
	var after omi.EmbedCursor
	for {
		// The model is asked each time: a remote embedder's name can gain
		// its dimensions only after its first answer.
		tasks, err := store.PendingEmbeddings(ctx, kind, emb.Model(), opt.All, after, opt.BatchSize)
		if err != nil {
			return done, err
		}
		if len(tasks) == 0 {
			return done, nil
		}
		texts := make([]string, len(tasks))
		for i, t := range tasks {
			texts[i] = t.Text
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return done, fmt.Errorf("search: reindex %s: %w", kind, err)
		}
		if len(vecs) != len(tasks) {
			return done, fmt.Errorf("search: reindex %s: %w", kind, errCount)
		}
		for i := range tasks {
			tasks[i].Vector = vecs[i]
		}
		n, err := store.PutEmbeddings(ctx, kind, emb.Model(), tasks)
		if err != nil {
			return done, err
		}
		done += n
		last := tasks[len(tasks)-1]
		after = omi.EmbedCursor{UID: last.UID, ID: last.ID}
		if opt.Progress != nil {
			opt.Progress(kind, done)
		}
	}
}

// Backfill embeds the rows that lack a vector of the engine's model, as a
// server does at start; failures are logged, never fatal.
func (e *Engine) Backfill(ctx context.Context) {
	if e == nil || e.Embedder == nil {
		return
	}
	st, err := Reindex(ctx, e.Store, e.Embedder, ReindexOptions{})
	if err != nil && ctx.Err() != nil {
		return // shutting down; the next start goes on
	}
	if err != nil {
		e.Logger.WarnContext(ctx, "search backfill stopped; run `omi-devapi reindex`", "error", err,
			"memories", st.Memories, "conversations", st.Conversations)
		return
	}
	if st.Memories+st.Conversations > 0 {
		e.Logger.InfoContext(ctx, "search backfill done", "model", e.Embedder.Model(),
			"memories", st.Memories, "conversations", st.Conversations)
	}
}
