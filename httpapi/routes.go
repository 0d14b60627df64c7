package httpapi

import (
	"net/http"

	omi "github.com/omi-devapi/omi-devapi"

	"github.com/omi-devapi/omi-devapi/api"
)

// routes is the whole API at a glance.
func (s *Server) routes() {
	// Key management: Firebase (or local) ID tokens.
	s.handle("GET /v1/dev/keys", s.idToken(s.listKeys))
	s.handle("POST /v1/dev/keys", s.idToken(s.createKey))
	s.handle("DELETE /v1/dev/keys/{key_id}", s.idToken(s.revokeKey))

	// Memories.
	s.handle("GET /v1/dev/user/memories", s.devKey(omi.ScopeMemoriesRead, s.listMemories))
	s.handle("POST /v1/dev/user/memories", s.devKey(omi.ScopeMemoriesWrite, s.createMemory))
	s.handle("POST /v1/dev/user/memories/batch", s.devKey(omi.ScopeMemoriesWrite, s.createMemoriesBatch))
	s.handle("GET /v1/dev/user/memories/{memory_id}", s.devKey(omi.ScopeMemoriesRead, s.getMemory)) // ours
	s.handle("PATCH /v1/dev/user/memories/{memory_id}", s.devKey(omi.ScopeMemoriesWrite, s.updateMemory))
	s.handle("DELETE /v1/dev/user/memories/{memory_id}", s.devKey(omi.ScopeMemoriesWrite, s.deleteMemory))
	s.handle("GET /v1/dev/user/memories/vector/search", s.devKey(omi.ScopeMemoriesRead, s.searchMemories))

	// Action items.
	s.handle("GET /v1/dev/user/action-items", s.devKey(omi.ScopeActionItemsRead, s.listActionItems))
	s.handle("POST /v1/dev/user/action-items", s.devKey(omi.ScopeActionItemsWrite, s.createActionItem))
	s.handle("POST /v1/dev/user/action-items/batch", s.devKey(omi.ScopeActionItemsWrite, s.createActionItemsBatch))
	s.handle("GET /v1/dev/user/action-items/{action_item_id}", s.devKey(omi.ScopeActionItemsRead, s.getActionItem)) // ours
	s.handle("PATCH /v1/dev/user/action-items/{action_item_id}", s.devKey(omi.ScopeActionItemsWrite, s.updateActionItem))
	s.handle("DELETE /v1/dev/user/action-items/{action_item_id}", s.devKey(omi.ScopeActionItemsWrite, s.deleteActionItem))

	// Conversations.
	s.handle("GET /v1/dev/user/conversations", s.devKey(omi.ScopeConversationsRead, s.listConversations))
	s.handle("POST /v1/dev/user/conversations", s.devKey(omi.ScopeConversationsWrite, s.createConversation))
	s.handle("POST /v1/dev/user/conversations/from-segments", s.devKey(omi.ScopeConversationsWrite, s.createConversationFromSegments))
	s.handle("GET /v1/dev/user/conversations/{conversation_id}", s.devKey(omi.ScopeConversationsRead, s.getConversation))
	s.handle("PATCH /v1/dev/user/conversations/{conversation_id}", s.devKey(omi.ScopeConversationsWrite, s.updateConversation))
	s.handle("DELETE /v1/dev/user/conversations/{conversation_id}", s.devKey(omi.ScopeConversationsWrite, s.deleteConversation))
	s.handle("POST /v1/dev/user/ask", s.devKey(omi.ScopeConversationsRead, s.ask))

	// Goals.
	s.handle("GET /v1/dev/user/goals", s.devKey(omi.ScopeGoalsRead, s.listGoals))
	s.handle("POST /v1/dev/user/goals", s.devKey(omi.ScopeGoalsWrite, s.createGoal))
	s.handle("GET /v1/dev/user/goals/{goal_id}", s.devKey(omi.ScopeGoalsRead, s.getGoal))
	s.handle("PATCH /v1/dev/user/goals/{goal_id}", s.devKey(omi.ScopeGoalsWrite, s.updateGoal))
	s.handle("DELETE /v1/dev/user/goals/{goal_id}", s.devKey(omi.ScopeGoalsWrite, s.deleteGoal))
	s.handle("PATCH /v1/dev/user/goals/{goal_id}/progress", s.devKey(omi.ScopeGoalsWrite, s.updateGoalProgress))
	s.handle("GET /v1/dev/user/goals/{goal_id}/history", s.devKey(omi.ScopeGoalsRead, s.goalHistory))

	// Folders.
	s.handle("GET /v1/dev/user/folders", s.devKey(omi.ScopeConversationsRead, s.listFolders))
	s.handle("POST /v1/dev/user/folders", s.devKey(omi.ScopeConversationsWrite, s.createFolder))               // ours
	s.handle("PATCH /v1/dev/user/folders/{folder_id}", s.devKey(omi.ScopeConversationsWrite, s.updateFolder))  // ours
	s.handle("DELETE /v1/dev/user/folders/{folder_id}", s.devKey(omi.ScopeConversationsWrite, s.deleteFolder)) // ours

	// Operations.
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.handle("GET /openapi.json", s.openAPI)
	s.mux.Handle("GET /metrics", s.Metrics.handler())
	s.mux.Handle("GET /docs/", http.StripPrefix("/docs/", http.FileServerFS(api.SwaggerUI())))
	s.mux.Handle("GET /docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
}

func (s *Server) handle(pattern string, h handlerFunc) {
	s.patterns = append(s.patterns, pattern)
	wildcards := wildcardNames(pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		cleanPathValues(r, wildcards)
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
