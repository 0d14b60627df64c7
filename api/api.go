// Package api embeds the API contract: the official Omi Developer API
// OpenAPI document (kept byte-for-byte as upstream publishes it), the
// additions omi-devapi makes, and the interactive reference served at /docs.
package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

//go:embed openapi.json
var official []byte

//go:embed extensions.json
var extensions []byte

//go:embed swaggerui
var swaggerUI embed.FS

// Official returns the upstream OpenAPI document exactly as published.
func Official() []byte { return official }

// SwaggerUI is the pinned swagger-ui-dist bundle plus our index page.
func SwaggerUI() fs.FS {
	sub, err := fs.Sub(swaggerUI, "swaggerui")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Spec returns the served contract: the official document with our additions
// merged in and marked, so clients and the contract tests see one document.
var Spec = sync.OnceValue(func() []byte {
	b, err := merge(official, extensions)
	if err != nil {
		panic(fmt.Sprintf("api: merging extensions into the official spec: %v", err))
	}
	return b
})

const marker = "x-omi-devapi"

func merge(baseJSON, extJSON []byte) ([]byte, error) {
	var base, ext map[string]any
	if err := json.Unmarshal(baseJSON, &base); err != nil {
		return nil, fmt.Errorf("official spec: %w", err)
	}
	if err := json.Unmarshal(extJSON, &ext); err != nil {
		return nil, fmt.Errorf("extensions: %w", err)
	}
	basePaths := obj(base, "paths")
	for path, item := range obj(ext, "paths") {
		ops, _ := item.(map[string]any)
		dst := obj(basePaths, path)
		for method, op := range ops {
			if _, exists := dst[method]; exists {
				return nil, fmt.Errorf("extension redefines %s %s", method, path)
			}
			if m, ok := op.(map[string]any); ok {
				m[marker] = true
			}
			dst[method] = op
		}
	}
	baseSchemas := obj(obj(base, "components"), "schemas")
	extSchemas := obj(obj(ext, "components"), "schemas")
	names := make([]string, 0, len(extSchemas))
	for name := range extSchemas {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		add, _ := extSchemas[name].(map[string]any)
		existing, ok := baseSchemas[name].(map[string]any)
		if !ok {
			add[marker] = true
			baseSchemas[name] = add
			continue
		}
		props := obj(existing, "properties")
		for prop, def := range obj(add, "properties") {
			if _, exists := props[prop]; exists {
				return nil, fmt.Errorf("extension redefines %s.%s", name, prop)
			}
			if m, ok := def.(map[string]any); ok {
				m[marker] = true
			}
			props[prop] = def
		}
	}
	return json.Marshal(base)
}

// obj returns m[key] as an object, creating it when absent.
func obj(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}
