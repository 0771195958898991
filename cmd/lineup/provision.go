package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/provision"
)

// cmdProvision imports or exports the whole set-up as a TOML provisioning file.
func cmdProvision(g *globalFlags, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("provision needs import or export: %w", errUsage)
	}
	fs := flag.NewFlagSet("provision "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	passwords := false
	if args[0] == "export" {
		fs.BoolVar(&passwords, "passwords", false, "include the lines' SIP passwords (a full backup: keep the file as safe as the passwords)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("provision: %w", errUsage)
	}
	switch args[0] {
	case "import":
		if fs.NArg() != 1 {
			return fmt.Errorf("provision import takes one FILE: %w", errUsage)
		}
		cfg, err := provision.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("nothing imported:\n%w", err)
		}
		st, err := g.openStore(stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		kept := 0 // lines the file gives no password keep theirs, in the same transaction
		if err := st.Update(func(c *line.Config) error { *c, kept = line.KeepPasswords(cfg, *c); return nil }); err != nil {
			return fmt.Errorf("nothing imported: %w", err)
		}
		fmt.Fprintf(stdout, "imported %d locations, %d line groups, %d lines (%d kept their stored password) into %s\n",
			len(cfg.Locations), len(cfg.Groups), len(cfg.Lines), kept, st.Path())
		return nil
	case "export":
		if fs.NArg() != 0 {
			return fmt.Errorf("provision export takes no arguments: %w", errUsage)
		}
		st, err := g.openStore(stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		cfg, err := st.Config()
		if err != nil {
			return err
		}
		if !passwords {
			cfg = line.WithoutPasswords(cfg)
		}
		return provision.Encode(stdout, cfg)
	}
	return fmt.Errorf("unknown provision command %q: %w", args[0], errUsage)
}
