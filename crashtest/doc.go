// Package crashtest holds the crash-durability test: it builds the real
// omi-devapi binary, writes to it from concurrent clients, kills it with
// SIGKILL mid-write, restarts it on the same data and checks that every
// acknowledged write survived exactly and no batch was half applied. It has
// no code of its own; see crash_test.go.
package crashtest
