//go:build cgo

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

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
			out = append(out, listEntry{ID: k.ID, Title: k.Title, Area: k.Area, Level: string(k.Level), Requirements: reqs, TimeoutMS: k.Timeout.Milliseconds()})
		}
		enc := json.NewEncoder(ctx.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(ctx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\tLEVEL\tREQUIREMENTS\tTITLE\n")
	for _, k := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Level, strings.Join(k.Requirements, ", "), k.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(ctx.Stderr, "%d cases\n", len(cs))
	return err
}
