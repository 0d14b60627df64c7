package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/search"
)

// SearchConfig is search's and ask's part of config (README, "Search and
// ask"), exported because env fills only exported fields. Without an
// embeddings server the offline embedder is used; without an LLM, ask
// answers extractively.
type SearchConfig struct {
	EmbeddingsBaseURL    string        `env:"OMI_EMBEDDINGS_BASE_URL"`
	EmbeddingsModel      string        `env:"OMI_EMBEDDINGS_MODEL"`
	EmbeddingsAPIKey     string        `env:"OMI_EMBEDDINGS_API_KEY"`
	EmbeddingsDimensions int           `env:"OMI_EMBEDDINGS_DIMENSIONS"`
	EmbeddingsBatchSize  int           `env:"OMI_EMBEDDINGS_BATCH_SIZE" envDefault:"64"`
	EmbeddingsTimeout    time.Duration `env:"OMI_EMBEDDINGS_TIMEOUT" envDefault:"30s"`
	EmbeddingsMaxRetries int           `env:"OMI_EMBEDDINGS_MAX_RETRIES" envDefault:"3"`
	SearchMinSimilarity  float64       `env:"OMI_SEARCH_MIN_SIMILARITY"`
	SearchBackfill       bool          `env:"OMI_SEARCH_BACKFILL" envDefault:"true"`
	LLMBaseURL           string        `env:"OMI_LLM_BASE_URL"`
	LLMModel             string        `env:"OMI_LLM_MODEL"`
	LLMAPIKey            string        `env:"OMI_LLM_API_KEY"`
	LLMTimeout           time.Duration `env:"OMI_LLM_TIMEOUT" envDefault:"60s"`
}

// retries maps the documented "0 means no retries" onto OpenAIConfig,
// where 0 means the default.
func retries(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// embedder is the configured embedder: an OpenAI-compatible server when
// OMI_EMBEDDINGS_BASE_URL is set, the offline one otherwise.
func (c SearchConfig) embedder() (omi.Embedder, error) {
	switch {
	case c.EmbeddingsBaseURL == "" && c.EmbeddingsModel == "":
		return search.NewHashing(c.EmbeddingsDimensions), nil
	case c.EmbeddingsBaseURL == "":
		return nil, fmt.Errorf("config: OMI_EMBEDDINGS_MODEL needs OMI_EMBEDDINGS_BASE_URL (unset both for the offline embedder)")
	case c.EmbeddingsModel == "":
		return nil, fmt.Errorf("config: OMI_EMBEDDINGS_BASE_URL needs OMI_EMBEDDINGS_MODEL")
	}
	return search.NewOpenAIEmbedder(search.OpenAIConfig{
		BaseURL: c.EmbeddingsBaseURL, Model: c.EmbeddingsModel, APIKey: c.EmbeddingsAPIKey,
		Dimensions: c.EmbeddingsDimensions, BatchSize: c.EmbeddingsBatchSize, Timeout: c.EmbeddingsTimeout,
		MaxRetries: retries(c.EmbeddingsMaxRetries),
	})
}

func (c SearchConfig) llm() (*search.Chat, error) {
	switch {
	case c.LLMBaseURL == "" && c.LLMModel == "":
		return nil, nil
	case c.LLMBaseURL == "" || c.LLMModel == "":
		return nil, fmt.Errorf("config: OMI_LLM_BASE_URL and OMI_LLM_MODEL go together")
	}
	return search.NewChat(search.OpenAIConfig{BaseURL: c.LLMBaseURL, Model: c.LLMModel, APIKey: c.LLMAPIKey,
		Timeout: c.LLMTimeout, MaxRetries: 1})
}

// searchEngine builds search and ask over db; nil (both answer 503) when
// the store has no search.
func searchEngine(cfg config, db store, log *slog.Logger) (*search.Engine, error) {
	ss, ok := db.(omi.SearchStore)
	if !ok {
		log.Warn("search and ask are unavailable: this store does not implement search yet")
		return nil, nil
	}
	emb, err := cfg.embedder()
	if err != nil {
		return nil, err
	}
	chat, err := cfg.llm()
	if err != nil {
		return nil, err
	}
	log.Info("search", "embedder", emb.Model(), "llm", cfg.LLMModel)
	return search.NewEngine(search.Engine{Store: ss, Embedder: emb, Conversations: db, LLM: chat, Logger: log,
		MinSimilarity: cfg.SearchMinSimilarity}), nil
}

// reindex rebuilds the lexical index and gives every row a vector by the
// configured embedder (after a model change, or rows stored while the
// embedding server was down).
func reindex(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reindex", stderr)
	all := fs.Bool("all", false, "re-embed every row, not only those without a vector of the current model")
	batch := fs.Int("batch", 128, "rows embedded and written at a time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ss, ok := db.(omi.SearchStore)
	if !ok {
		return fmt.Errorf("reindex: this store does not implement search yet")
	}
	emb, err := cfg.embedder()
	if err != nil {
		return err
	}
	started := time.Now()
	if err := ss.RebuildSearchIndex(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "lexical index rebuilt in %s\n", time.Since(started).Round(time.Millisecond))
	started = time.Now()
	st, err := search.Reindex(ctx, ss, emb, search.ReindexOptions{All: *all, BatchSize: *batch,
		Progress: func(kind string, done int) { fmt.Fprintf(stderr, "\r%s vectors: %d", kind, done) }})
	fmt.Fprintln(stderr)
	fmt.Fprintf(stdout, "vectors by %s: %d memories and %d conversations embedded in %s\n", emb.Model(),
		st.Memories, st.Conversations, time.Since(started).Round(time.Millisecond))
	return err
}
