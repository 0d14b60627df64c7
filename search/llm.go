package search

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Chat calls an OpenAI-compatible POST {BaseURL}/chat/completions.
type Chat struct {
	cfg OpenAIConfig
}

// NewChat returns a client; it makes no request until Complete.
func NewChat(cfg OpenAIConfig) (*Chat, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, errors.New("search: an LLM server needs a base URL and a model")
	}
	cfg.defaults()
	return &Chat{cfg: cfg}, nil
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
}

type chatResponse struct {
	Choices []struct {
		Message Message `json:"message"`
	} `json:"choices"`
}

// Complete returns the model's reply to messages.
func (c *Chat) Complete(ctx context.Context, messages []Message) (string, error) {
	var resp chatResponse
	if err := postJSON(ctx, &c.cfg, "/chat/completions", chatRequest{Model: c.cfg.Model, Messages: messages, Temperature: 0.2}, &resp); err != nil {
		return "", fmt.Errorf("search: chat: %w", err)
	}
	if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
		return "", errors.New("search: chat: empty answer")
	}
	return strings.TrimSpace(resp.Choices[0].Message.Content), nil
}
