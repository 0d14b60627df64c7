package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omi-devapi/omi-devapi/auth"
)

func token(cfg config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", stderr)
	uid := fs.String("uid", "", "user id to mint the token for (required)")
	ttl := fs.Duration("ttl", time.Hour, "token lifetime")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory holding the signing key (OMI_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.AuthMode != "local" {
		return errors.New("token: only local auth mode mints tokens; in firebase mode use a Firebase ID token")
	}
	if *uid == "" || *ttl <= 0 {
		return errors.New("token: --uid is required and --ttl must be positive")
	}
	signer, err := cfg.localSigner()
	if err != nil {
		return err
	}
	tok, err := signer.Mint(*uid, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func keys(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("keys: want create, list or revoke")
	}
	fs := newFlags("keys "+args[0], stderr)
	uid := fs.String("uid", "", "owner user id (required)")
	name := fs.String("name", "", "key name (create)")
	scopes := fs.String("scopes", "", "comma-separated scopes (create; default read-only)")
	expiresIn := fs.Duration("expires-in", 0, "key lifetime (create; default never expires)")
	id := fs.String("id", "", "key id (revoke)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (OMI_DATA_DIR)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *uid == "" {
		return errors.New("keys: --uid is required")
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := auth.NewKeys(db, auth.KeysConfig{}, nil, newLogger(cfg, stderr), nil)
	defer svc.Close(ctx)
	switch args[0] {
	case "create":
		var sc []string
		if *scopes != "" {
			sc = strings.Split(*scopes, ",")
			for i := range sc {
				sc[i] = strings.TrimSpace(sc[i])
			}
		}
		var exp *time.Time
		if *expiresIn > 0 {
			t := time.Now().Add(*expiresIn).UTC().Truncate(time.Microsecond)
			exp = &t
		}
		k, raw, err := svc.Create(ctx, *uid, *name, sc, exp)
		if err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		fmt.Fprintf(stderr, "created key %s (%s) for %s with scopes %v\n", k.ID, k.Prefix, *uid, k.Scopes)
		fmt.Fprintln(stdout, raw)
	case "list":
		ks, err := svc.List(ctx, *uid)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tLAST USED\tSCOPES")
		for _, k := range ks {
			last := "never"
			if k.LastUsedAt != nil {
				last = k.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", k.ID, k.Name, k.Prefix, k.CreatedAt.Format(time.RFC3339), last, k.Scopes)
		}
		return tw.Flush()
	case "revoke":
		if *id == "" {
			return errors.New("keys revoke: --id is required")
		}
		if err := svc.Revoke(ctx, *uid, *id); err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		fmt.Fprintln(stderr, "revoked", *id)
	default:
		return fmt.Errorf("keys: unknown action %q (want create, list or revoke)", args[0])
	}
	return nil
}
