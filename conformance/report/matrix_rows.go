package report

import "tcpregress.dev/conformance/suite"

// MatrixRow is one case of a matrix: its result on each stack, in the
// matrix's column order, nil where the stack's report lacks the case.
type MatrixRow struct {
	ID, Title, Area string
	Level           suite.Level
	Results         []*suite.Result
}

// Rows returns the matrix's cases: every case of any report, in the first
// report's order, then the others' (the reports normally share their
// cases), grouped by area in the order the areas first come.
func (m *Matrix) Rows() []MatrixRow {
	var rows []*MatrixRow
	byID := map[string]*MatrixRow{}
	for i, rep := range m.Reports {
		for j := range rep.Results {
			res := &rep.Results[j]
			row := byID[res.ID]
			if row == nil {
				area := res.Area
				if area == "" {
					area = areaOf(res.ID)
				}
				row = &MatrixRow{ID: res.ID, Title: res.Title, Area: area, Level: res.Level,
					Results: make([]*suite.Result, len(m.Reports))}
				byID[res.ID] = row
				rows = append(rows, row)
			}
			row.Results[i] = res
		}
	}
	var areas []string
	byArea := map[string][]MatrixRow{}
	for _, r := range rows {
		if _, ok := byArea[r.Area]; !ok {
			areas = append(areas, r.Area)
		}
		byArea[r.Area] = append(byArea[r.Area], *r)
	}
	out := make([]MatrixRow, 0, len(rows))
	for _, a := range areas {
		out = append(out, byArea[a]...)
	}
	return out
}
