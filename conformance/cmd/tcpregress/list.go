package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"

	"tcpregress.dev/conformance/suite"
)

type listCmd struct {
	JSON   bool   `name:"json" help:"Print a JSON array instead of a table."`
	Filter string `name:"run" placeholder:"REGEX" help:"Only cases whose ID matches REGEX."`
	Level  string `enum:"must,should,may,all" default:"all" help:"Cases up to this level: must, should (MUST and SHOULD), may, all (FEATURE too)."`
}

type listEntry struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Area         string   `json:"area"`
	Level        string   `json:"level"`
	Requirements []string `json:"requirements"`
	TimeoutMS    int64    `json:"timeout_ms,omitempty"`
	// Slow reports a slow case: tcpregress run skips it without --slow.
	Slow bool `json:"slow"`
}

func (c *listCmd) Run(ctx *kong.Context) error {
	cs, err := suite.Select(suite.Cases(), c.Filter, c.Level)
	if err != nil {
		return usageError(err)
	}
	if c.JSON {
		out := make([]listEntry, 0, len(cs))
		for _, k := range cs {
			reqs := k.Requirements
			if reqs == nil {
				reqs = []string{}
			}
			out = append(out, listEntry{ID: k.ID, Title: k.Title, Area: k.Area, Level: string(k.Level), Requirements: reqs, TimeoutMS: k.Timeout.Milliseconds(), Slow: k.Slow > 0})
		}
		enc := json.NewEncoder(ctx.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(ctx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\tLEVEL\tREQUIREMENTS\tTITLE\n")
	slow := 0
	for _, k := range cs {
		title := k.Title
		if k.Slow > 0 {
			slow++
			title = fmt.Sprintf("[slow, about %v: run --slow] %s", k.Slow.Round(time.Second), title)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Level, strings.Join(k.Requirements, ", "), title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if slow > 0 {
		_, err = fmt.Fprintf(ctx.Stderr, "%d cases, %d slow (run only with tcpregress run --slow)\n", len(cs), slow)
		return err
	}
	_, err = fmt.Fprintf(ctx.Stderr, "%d cases\n", len(cs))
	return err
}
