package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// testConcurrentBatches: batches written at the same time stay
// all-or-nothing and independent (a store may commit them together), a
// successful return means every memory is readable, and a failed one means
// none is.
func testConcurrentBatches(t *testing.T, open Open) {
	s := open(t)
	must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("alice", "taken", "already here", "work", base)}))
	const writers, batches, size = 16, 8, 25
	type outcome struct {
		ids []string
		err error
	}
	results := make([][]outcome, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				var ms []*omi.Memory
				var ids []string
				for i := range size {
					id := fmt.Sprintf("w%02d-b%d-%02d", w, b, i)
					if (w+b)%5 == 0 && i == size-1 {
						id = "taken" // the whole batch must fail
					}
					ms = append(ms, newMemory("alice", id, "c", "work", base.Add(time.Duration(i)*time.Second)))
					ids = append(ids, id)
				}
				results[w] = append(results[w], outcome{ids, s.CreateMemories(context.Background(), ms)})
			}
		}()
	}
	wg.Wait()
	stored := 0
	for w := range writers {
		for b, o := range results[w] {
			wantFail := (w+b)%5 == 0
			if (o.err != nil) != wantFail {
				t.Fatalf("writer %d batch %d: error %v, want failure %v", w, b, o.err, wantFail)
			}
			for _, id := range o.ids {
				if id == "taken" {
					continue
				}
				_, err := s.GetMemory(ctx(t), "alice", id)
				switch {
				case wantFail && omi.ErrorCode(err) != omi.ENOTFOUND:
					t.Fatalf("failed batch left %s behind (%v)", id, err)
				case !wantFail && err != nil:
					t.Fatalf("committed batch lost %s: %v", id, err)
				}
				if !wantFail {
					stored++
				}
			}
		}
	}
	all, err := s.ListMemories(ctx(t), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: writers * batches * size * 2}})
	must(t, err)
	if len(all) != stored+1 {
		t.Fatalf("listed %d memories, want %d", len(all), stored+1)
	}

	// A batch whose caller has already gone is not written.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.CreateMemories(gone, []*omi.Memory{newMemory("alice", "late", "c", "work", base)}); err == nil {
		t.Fatal("a canceled batch was accepted")
	}
	if _, err := s.GetMemory(ctx(t), "alice", "late"); omi.ErrorCode(err) != omi.ENOTFOUND {
		t.Fatalf("a canceled batch was written: %v", err)
	}
}
