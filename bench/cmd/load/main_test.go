package main

import (
	"bytes"
	"strings"
	"testing"
)

// A whole run in process: seeds a temporary database, runs two workloads
// against omi-devapi and the ceiling, and prints the ratio table.
func TestRunInProcess(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"run", "-server", "inproc", "-memories", "300", "-workloads", "list-memories,batch-create,search",
		"-workers", "4", "-requests", "40", "-warmup", "5", "-runs", "2"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	for _, want := range []string{"machine: nproc", "| list-memories |", "| batch-create |", "| search |", "ceiling req/s"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, &out)
		}
	}
}

func TestUnknownWorkload(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"run", "-workloads", "nope"}, &out); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err %v", err)
	}
}

// A scale run over two sizes prints every probe and the large/small ratios.
func TestScaleInProcess(t *testing.T) {
	small, large := t.TempDir(), t.TempDir()
	if err := seedTemp(t.Context(), small, 300); err != nil {
		t.Fatal(err)
	}
	if err := seedTemp(t.Context(), large, 900); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"scale", "-data-dirs", small + "," + large, "-depth", "100", "-requests", "40", "-search-requests", "10", "-rounds", "1"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, &out)
	}
	for _, want := range []string{"| first-page |", "| offset-page |", "| cursor-page |", "| lexical-1-term |", "| fused-4-terms |"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("no %q in:\n%s", want, &out)
		}
	}
}
