// Command alloy-syntax parses Alloy configuration files with Alloy's own parser
// (github.com/grafana/alloy/syntax) and prints every syntax error with its
// file, line and column. It checks the syntax only: not component names,
// arguments or references, which need the full Alloy binary.
//
//	alloy-syntax FILE...   exit 0 when every file parses, 1 otherwise
//	alloy-syntax --version
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/grafana/alloy/syntax/diag"
	"github.com/grafana/alloy/syntax/parser"
)

// alloyRelease is the Alloy release this parser stands for: go.mod requires
// the github.com/grafana/alloy/syntax version that Alloy's go.mod requires at
// that release (Alloy builds it from its ./syntax directory, whose parser and
// scanner are unchanged from that version).
const alloyRelease = "1.11.0"

const syntaxModule = "github.com/grafana/alloy/syntax"

func syntaxVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == syntaxModule {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	args := os.Args[1:]
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Printf("alloy-syntax %s (%s %s)\n", alloyRelease, syntaxModule, syntaxVersion())
		return
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: alloy-syntax FILE... | --version")
		os.Exit(2)
	}
	failed := false
	for _, file := range args {
		src, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			failed = true
			continue
		}
		if _, err := parser.ParseFile(file, src); err != nil {
			failed = true
			var diags diag.Diagnostics
			if errors.As(err, &diags) {
				for _, d := range diags {
					// file:line:col: message
					fmt.Fprintf(os.Stderr, "%s: %s\n", d.StartPos, d.Message)
				}
			} else {
				fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}
