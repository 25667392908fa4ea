// Command switchboard is the Switchboard hub's one command line: it runs the
// hub and the tools around it. Each subcommand answers -h.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	// Time zones must work on machines without a zoneinfo database:
	// schedules are in the seller's zone.
	_ "time/tzdata"
)

const usage = `switchboard connects buyer-messaging channels and runs workflows over them.

Usage:
  switchboard <command> [arguments]

Commands:
  serve             run the hub: connectors, workflows, HTTP API
  reload            ask a running hub to load its configuration again
  send              inject a test message into a running hub
  validate          check configurations: every problem with file:line:col
  fmt               format configuration files canonically
  test              run the conversation tests beside configurations
  plugins list      list the plugins in the plugin directory
  plugins inspect   show a plugin's schema as documentation
  plugins lock      write the lock file that validate and test read
  version           print the version

Run "switchboard <command> -h" for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "plugins":
		err = pluginsCmd(args[1:], stdout, stderr)
	case "serve":
		err = serveCmd(args[1:], stdout, stderr)
	case "reload":
		err = reloadCmd(args[1:], stdout, stderr)
	case "send":
		err = sendCmd(args[1:], stdout, stderr)
	case "validate":
		err = validateCmd(args[1:], stdout, stderr)
	case "fmt":
		err = fmtCmd(args[1:], stdout, stderr)
	case "test":
		err = testCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "switchboard", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "switchboard: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errSilent):
		return 1
	}
	fmt.Fprintln(stderr, "switchboard:", err)
	return 1
}

// errUsage is a command line that was wrong; the usage has been printed.
var errUsage = errors.New("usage")

// errSilent fails a command whose problems have been printed already.
var errSilent = errors.New("failed")

// newFlags makes a flag set that prints its usage to stderr.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: switchboard %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// misuse prints what is wrong with a command line, then the command's
// usage.
func misuse(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "switchboard %s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
