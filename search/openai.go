package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// OpenAIConfig configures a client for an OpenAI-compatible server (OpenAI,
// Azure's compatible endpoint, Ollama, vLLM, LM Studio, llama.cpp, ...).
type OpenAIConfig struct {
	// BaseURL is the API root, e.g. https://api.openai.com/v1 or
	// http://localhost:11434/v1; "/embeddings" or "/chat/completions" is
	// appended.
	BaseURL string
	Model   string
	APIKey  string // sent as a Bearer token when set
	// Dimensions, when > 0, is sent as "dimensions" (models that can shorten
	// their vectors) and checked on every answer.
	Dimensions int
	// BatchSize is how many texts go in one request (default 64).
	BatchSize int
	// Timeout bounds each attempt (default 30s).
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried: network
	// errors, 408, 429 and 5xx; never other 4xx (default 3).
	MaxRetries int
	// Backoff is the first retry's delay, doubled each time, with jitter,
	// capped at 10s; a Retry-After header is honoured up to that cap
	// (default 500ms).
	Backoff time.Duration
	Client  *http.Client
}

func (c *OpenAIConfig) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	} else if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

// OpenAIEmbedder calls POST {BaseURL}/embeddings.
type OpenAIEmbedder struct {
	cfg  OpenAIConfig
	dims atomic.Int64 // learned from the first answer when not configured
}

var _ omi.Embedder = (*OpenAIEmbedder)(nil)

// NewOpenAIEmbedder returns a client; it makes no request until Embed.
func NewOpenAIEmbedder(cfg OpenAIConfig) (*OpenAIEmbedder, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("search: an embeddings server needs a base URL and a model")
	}
	cfg.defaults()
	e := &OpenAIEmbedder{cfg: cfg}
	e.dims.Store(int64(cfg.Dimensions))
	return e, nil
}

func (e *OpenAIEmbedder) Dimensions() int { return int(e.dims.Load()) }

// Model is the model name, with the requested dimensions when set: the same
// model shortened to another length makes incomparable vectors.
func (e *OpenAIEmbedder) Model() string {
	if e.cfg.Dimensions > 0 {
		return e.cfg.Model + "@" + strconv.Itoa(e.cfg.Dimensions)
	}
	return e.cfg.Model
}

type embeddingsRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

type embeddingsResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
}

func (e *OpenAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.BatchSize {
		batch := texts[start:min(start+e.cfg.BatchSize, len(texts))]
		vecs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (e *OpenAIEmbedder) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	input := make([]string, len(texts))
	for i, t := range texts {
		// Servers refuse empty inputs; a blank stands for "nothing".
		if strings.TrimSpace(t) == "" {
			t = " "
		}
		input[i] = t
	}
	var resp embeddingsResponse
	req := embeddingsRequest{Model: e.cfg.Model, Input: input, EncodingFormat: "float", Dimensions: e.cfg.Dimensions}
	if err := postJSON(ctx, &e.cfg, "/embeddings", req, &resp); err != nil {
		return nil, fmt.Errorf("search: embeddings: %w", err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("search: embeddings: asked for %d vectors, got %d", len(texts), len(resp.Data))
	}
	out := make([][]float32, len(texts))
	want := e.Dimensions()
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(out) || out[d.Index] != nil {
			return nil, fmt.Errorf("search: embeddings: bad or repeated index %d", d.Index)
		}
		if len(d.Embedding) == 0 || (want > 0 && len(d.Embedding) != want) {
			return nil, fmt.Errorf("search: embeddings: vector of %d dimensions, want %d", len(d.Embedding), want)
		}
		want = len(d.Embedding)
		v := make([]float32, len(d.Embedding))
		for i, x := range d.Embedding {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errors.New("search: embeddings: vector with NaN or Inf")
			}
			v[i] = float32(x)
		}
		normalize(v) // most servers do; cosine as a dot product needs it
		out[d.Index] = v
	}
	e.dims.CompareAndSwap(0, int64(want))
	return out, nil
}

// statusError is a non-2xx answer.
type statusError struct {
	status     int
	body       string
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

func retryable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.status == http.StatusRequestTimeout || se.status == http.StatusTooManyRequests || se.status >= 500
	}
	// Anything else is the network or a timeout of one attempt.
	return true
}

// postJSON posts body to path and decodes a 2xx answer into out, retrying
// as the config says. The caller's context bounds everything, retries
// included.
func postJSON(ctx context.Context, cfg *OpenAIConfig, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	delay := cfg.Backoff
	for attempt := 0; ; attempt++ {
		err = postOnce(ctx, cfg, path, payload, out)
		if err == nil || ctx.Err() != nil || attempt >= cfg.MaxRetries || !retryable(err) {
			if ctx.Err() != nil && err != nil {
				return fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			return err
		}
		wait := delay/2 + rand.N(delay/2+1) // jitter: retries from many clients spread out
		var se *statusError
		if errors.As(err, &se) && se.retryAfter > 0 {
			wait = se.retryAfter
		}
		wait = min(wait, 10*time.Second)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, 10*time.Second)
	}
}

func postOnce(ctx context.Context, cfg *OpenAIConfig, path string, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.BaseURL+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Vectors are big (3072 floats x 64 inputs is a few MB); 64 MiB is far
	// beyond any honest answer.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{status: resp.StatusCode, body: strings.TrimSpace(string(b[:min(len(b), 300)]))}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			se.retryAfter = time.Duration(s) * time.Second
		}
		return se
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
