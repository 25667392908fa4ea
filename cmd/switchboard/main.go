// Command switchboard is the Switchboard hub's one command line: it runs the
// hub and the tools around it. Each subcommand answers -h.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

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

Run "switchboard help <command>" or "switchboard <command> -h" for a command's
flags. Flags go before arguments. Exit status: 0 on success, 1 on a failure,
2 for a wrong command line.
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
		err = versionCmd(args[1:], stdout, stderr)
	case "help":
		if len(args) > 1 {
			// "switchboard help serve" is "switchboard serve -h".
			return run(append(args[1:len(args):len(args)], "-h"), stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
	case "-h", "-help", "--help":
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

// newFlags makes a flag set that prints its usage to stderr, or to stdout
// when parse is asked for help. A command's Usage writes to fs.Output().
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: switchboard %s\n\n", synopsis)
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

// parse parses a command's flags. Help asked for with -h or -help is
// printed to stdout, and the command ends with status 0; a wrong flag is
// printed with the usage to the flag set's output (stderr), status 2.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	errOut := fs.Output()
	fs.SetOutput(io.Discard) // Parse would print the usage itself, always to one place
	err := fs.Parse(args)
	fs.SetOutput(errOut)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(errOut)
		return err
	case err != nil:
		return misuse(fs, "%v", err)
	}
	return nil
}

// noArgs refuses the arguments left after the flags of a command that
// takes none; hint, given the first one, says what was probably meant.
func noArgs(fs *flag.FlagSet, hint func(arg string) string) error {
	if fs.NArg() == 0 {
		return nil
	}
	msg := fmt.Sprintf("takes no arguments, got %s", quoteArgs(fs.Args()))
	if hint != nil {
		msg += "; " + hint(fs.Arg(0))
	}
	return misuse(fs, "%s", msg)
}

// flagsFirst refuses a flag written after a positional argument, which
// the flag package takes for one more positional argument, and shows the
// command line with the flags first. what names the positional arguments
// (DIR, NAME, TEXT). A "--" written before them keeps them all positional.
func flagsFirst(fs *flag.FlagSet, args []string, what string) error {
	rest := fs.Args()
	parsed := args[:len(args)-len(rest)]
	if len(parsed) > 0 && parsed[len(parsed)-1] == "--" {
		return nil
	}
	isFlag := func(a string) bool { return len(a) > 1 && a[0] == '-' }
	if !slices.ContainsFunc(rest, isFlag) {
		return nil
	}
	flags := slices.Clone(parsed)
	var positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if !isFlag(a) {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") && !isBoolFlag(fs, name) && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	return misuse(fs, "flags go before %s: switchboard %s %s", what, fs.Name(), quoteArgs(append(flags, positional...)))
}

func isBoolFlag(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return true // unknown: the suggestion leaves the next argument where it is
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// quoteArgs writes arguments the way a shell reads them back.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func versionCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: switchboard version\n\nPrints the version of this switchboard executable.\n")
	}
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs, nil); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "switchboard", version)
	return nil
}
