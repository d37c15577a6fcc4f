// Command signet runs Signet: one API through which any application gets a
// contract signed at Signzy, Leegality, Digio or Swedish BankID.
//
//	signet serve                        run the API, the workers and (with --sandbox) the provider simulators
//	signet apikey create --tenant NAME  create a tenant if new and an API key for it; print the key
//	signet apikey list [--tenant NAME]  list API keys (--json for JSON)
//	signet apikey revoke ID             revoke an API key, at once on every replica
//	signet admin create --email E       create a console operator (password on standard input)
//	signet migrate                      apply database migrations and exit
//	signet version                      print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/signet-dev/signet/internal/auth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage:
  signet serve [flags]                  run the API, workers and sandboxes
  signet apikey create --tenant NAME    create an API key (printed alone on stdout)
  signet apikey list [--tenant NAME]    list API keys: id, prefix, tenant, creation, last use (--json)
  signet apikey revoke ID               revoke an API key: it stops working at once
  signet admin create --email E         create a console operator; the password is read from stdin
  signet migrate [--database URL]       apply database migrations and exit
  signet documents move --documents s3://…  move documents kept in the database to an object store
  signet bench [flags]                  measure throughput and latency against baselines (Markdown report)
  signet sessions|webhooks|providers …  call a Signet server's API ("signet sessions -h" lists the commands)
  signet version                        print the version
Run "signet COMMAND -h" for a command's flags.
`

// run is main without the process: testable, and every error becomes an
// exit code (0 ok, 1 failure, 2 usage). Standard input is the process's.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// runIO is run reading standard input from stdin (admin create's password).
func runIO(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		var m *Main
		if m, err = NewMain(args[1:], getenv, stderr); err == nil {
			stop := m.paceGC(getenv)
			err = m.Run(ctx)
			stop()
			if cerr := m.Close(); err == nil {
				err = cerr
			}
		}
	case "apikey":
		switch sub(args) {
		case "create":
			err = apikeyCreate(ctx, args[2:], getenv, stdout, stderr)
		case "list":
			err = apikeyList(ctx, args[2:], getenv, stdout, stderr)
		case "revoke":
			err = apikeyRevoke(ctx, args[2:], getenv, stdout, stderr)
		default:
			fmt.Fprint(stderr, usage)
			return 2
		}
	case "admin":
		if sub(args) != "create" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = adminCreate(ctx, args[2:], getenv, stdin, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], getenv, stderr)
	case "documents":
		if sub(args) != "move" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = documentsMove(ctx, args[2:], getenv, stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], getenv, stdout, stderr)
	case "sessions", "webhooks", "providers":
		return clientCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		_, err = fmt.Fprintln(stdout, "signet", version())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "signet: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "signet: %v\n", err)
		return 2
	default:
		fmt.Fprintf(stderr, "signet: %v\n", err)
		return 1
	}
}

var errUsage = errors.New("usage")

// sub is a command's subcommand ("create" of "apikey create"), or "".
func sub(args []string) string {
	if len(args) < 2 {
		return ""
	}
	return args[1]
}

func apikeyCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("apikey create", stderr)
	tenant := fs.String("tenant", "", "tenant name (created if new)")
	database := databaseFlag(fs, getenv)
	if err := parseArgs(fs, args); err != nil {
		return usageErr(err)
	}
	if *tenant == "" {
		return fmt.Errorf("%w: --tenant is required", errUsage)
	}
	store, err := openStore(ctx, *database, nil, false)
	if err != nil {
		return err
	}
	defer store.Close()
	key, _, err := auth.CreateAPIKey(ctx, store, *tenant, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, key)
	return err
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flagSet("migrate", stderr)
	database := databaseFlag(fs, getenv)
	if err := parseArgs(fs, args); err != nil {
		return usageErr(err)
	}
	store, err := openStore(ctx, *database, nil, false)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "signet: migrations applied to", redactDSN(*database))
	return store.Close()
}

func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}

// Version is set at build time (-ldflags "-X main.Version=v1.2.3"); without
// it the module version and VCS revision from the build info are shown.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v + " " + info.GoVersion
}
