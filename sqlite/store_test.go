package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/omi-devapi/omi-devapi/sqlite"
	"github.com/omi-devapi/omi-devapi/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
