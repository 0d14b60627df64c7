// Package pgtest gives tests a PostgreSQL store of their own: a fresh schema
// in the database OMI_TEST_POSTGRES_DSN names, dropped when the test ends.
// Tests skip when the variable is unset, so `go test ./...` needs no
// database.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omi-devapi/omi-devapi/postgres"
)

// EnvDSN names the variable holding the test database's URL.
const EnvDSN = "OMI_TEST_POSTGRES_DSN"

// DSN returns the test database's URL, skipping the test if there is none.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		t.Skip(EnvDSN + " is not set: skipping PostgreSQL tests (e.g. " + EnvDSN +
			"='postgres://postgres@127.0.0.1:5432/test?sslmode=disable')")
	}
	return dsn
}

// Schema creates an empty schema, dropped (with everything in it) when the
// test ends, and returns a DSN whose connections use it and carry its name
// as their application_name (see Terminate).
func Schema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	var b [8]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	exec(t, dsn, `CREATE SCHEMA `+name)
	t.Cleanup(func() { exec(t, dsn, `DROP SCHEMA `+name+` CASCADE`) })
	return withParams(t, dsn, map[string]string{"search_path": name, "application_name": name})
}

// Terminate cuts every server connection opened with dsn (a Schema's), as a
// database restart or a network failure would.
func Terminate(t testing.TB, dsn string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	app := cfg.RuntimeParams["application_name"]
	if app == "" {
		t.Fatal("pgtest: Terminate needs a DSN from Schema")
	}
	exec(t, DSN(t), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = '`+app+`' AND pid <> pg_backend_pid()`)
}

// Database creates a database of its own with the given CREATE DATABASE
// options (a locale, say), dropped when the test ends, and returns its DSN.
// It skips the test when the server cannot make one.
func Database(t testing.TB, options string) string {
	t.Helper()
	dsn := DSN(t)
	var b [8]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` `+options); err != nil {
		t.Skipf("pgtest: cannot create a database %s: %v", options, err)
	}
	t.Cleanup(func() { exec(t, dsn, `DROP DATABASE `+name+` WITH (FORCE)`) })
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

// Open returns a store on a fresh schema, closed when the test ends.
func Open(t testing.TB, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	return OpenDSN(t, Schema(t), opts...)
}

// OpenDSN opens a store on dsn (another replica on a Schema), closed when
// the test ends.
func OpenDSN(t testing.TB, dsn string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Exec runs statements on dsn outside any store (to break things in
// outage tests, for example).
func Exec(t testing.TB, dsn, sql string) { t.Helper(); exec(t, dsn, sql) }

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// withParams returns dsn with settings added; pgx passes parameters it
// does not know itself on to the server as settings.
func withParams(t testing.TB, dsn string, params map[string]string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("pgtest: %s: %v", EnvDSN, err)
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		dsn += " " + k + "=" + v
	}
	return dsn
}
