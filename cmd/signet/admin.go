package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
)

// adminCreate is `signet admin create --email E`: an operator of the
// console, whose password is read from standard input (the first line;
// without echo when it is a terminal).
func adminCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagSet("admin create", stderr)
	email := fs.String("email", "", "the operator's e-mail address, to sign in with")
	database := databaseFlag(fs, getenv)
	if err := parseArgs(fs, args); err != nil {
		return usageErr(err)
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	if _, err := auth.NormalizeEmail(*email); err != nil {
		return fmt.Errorf("%w: --email: %s", errUsage, signing.Message(err))
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword(password); err != nil {
		return fmt.Errorf("refused: the %s", signing.Message(err))
	}
	store, err := openStore(ctx, *database, nil, false)
	if err != nil {
		return err
	}
	defer store.Close()
	ops, err := auth.NewOperators(auth.OperatorsConfig{Store: store})
	if err != nil {
		return err
	}
	op, err := ops.Create(ctx, *email, password)
	if err != nil {
		return forPeople(err)
	}
	_, err = fmt.Fprintf(stdout, "created operator %s; sign in at /console/\n", op.Email)
	return err
}

// forPeople is err as its message for people, when it has one.
func forPeople(err error) error {
	if m := signing.Message(err); m != "" {
		return errors.New(m)
	}
	return err
}

// readPassword reads a password: from a terminal without echo, after a
// prompt on stderr; from anything else, its first line.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "Password (at least %d characters): ", auth.MinPasswordLen)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// apikeyList is `signet apikey list [--tenant NAME] [--json]`.
func apikeyList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("apikey list", stderr)
	tenant := fs.String("tenant", "", "only this tenant's keys")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	database := databaseFlag(fs, getenv)
	if err := parseArgs(fs, args); err != nil {
		return usageErr(err)
	}
	store, err := openStore(ctx, *database, nil, false)
	if err != nil {
		return err
	}
	defer store.Close()
	tenantID := ""
	if *tenant != "" {
		tenants, err := store.Tenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range tenants {
			if t.Name == *tenant {
				tenantID = t.ID
			}
		}
		if tenantID == "" {
			return fmt.Errorf("there is no tenant %q", *tenant)
		}
	}
	keys, err := store.APIKeys(ctx, tenantID)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]keyJSON, len(keys))
		for i, k := range keys {
			out[i] = newKeyJSON(k)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"data": out})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKEY\tTENANT\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Display(), k.Tenant.Name, stampPtr(&k.CreatedAt),
			orDash(stampPtr(k.LastUsedAt)), orDash(stampPtr(k.RevokedAt)))
	}
	return tw.Flush()
}

// keyJSON is a key in `signet apikey list --json` (and revoke's answer).
type keyJSON struct {
	ID         string     `json:"id"`
	Prefix     string     `json:"prefix"`
	Tenant     string     `json:"tenant"`
	TenantID   string     `json:"tenantId"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

func newKeyJSON(k auth.APIKey) keyJSON {
	return keyJSON{ID: k.ID, Prefix: k.Display(), Tenant: k.Tenant.Name, TenantID: k.Tenant.ID,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// stamp is a time for a table: UTC to the second ("" if absent).
func stampPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// apikeyRevoke is `signet apikey revoke ID`: the key stops working at
// once, on every replica (PostgreSQL tells every serving process).
func apikeyRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("apikey revoke", stderr)
	database := databaseFlag(fs, getenv)
	// The id may come before or after the flags.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if id == "" {
		return fmt.Errorf("%w: give the id of the key to revoke (see signet apikey list)", errUsage)
	}
	store, err := openStore(ctx, *database, nil, false)
	if err != nil {
		return err
	}
	defer store.Close()
	k, fresh, err := auth.RevokeAPIKey(ctx, store, id, time.Now())
	if err != nil {
		return forPeople(err)
	}
	if !fresh {
		_, err = fmt.Fprintf(stdout, "%s (%s, tenant %s) was already revoked at %s\n", k.ID, k.Display(), k.Tenant.Name, stampPtr(k.RevokedAt))
		return err
	}
	_, err = fmt.Fprintf(stdout, "revoked %s (%s, tenant %s)\n", k.ID, k.Display(), k.Tenant.Name)
	return err
}
