package postgres_test

import (
	"testing"

	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
	"github.com/omi-devapi/omi-devapi/storetest"
)

// TestConformance runs the suite every store passes, each test in a schema
// of its own; it skips without OMI_TEST_POSTGRES_DSN.
func TestConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) storetest.Store { return pgtest.Open(t) })
}
