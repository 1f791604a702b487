// promql-check parses PromQL expressions with Prometheus' own parser (github.com/prometheus/prometheus/promql/parser)
// and says, for each, the series it selects (metric name and the labels it matches on) or why it does not parse. The
// monitoring tests use it to prove that every expression of deploy/components/monitoring (rules and dashboard) is
// valid PromQL and selects only metrics and labels the bot exports. Built by ../build-tools.sh.
//
// Input on stdin: a JSON array of expressions. Output on stdout: a JSON array, one
// {"selectors": [{"metric": "...", "labels": ["..."]}]} or {"error": "..."} per expression, in order.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type selector struct {
	Metric string   `json:"metric"`
	Labels []string `json:"labels"`
}

type verdict struct {
	Selectors []selector `json:"selectors,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// selectorsOf lists the series selectors of an expression: the metric name (by name, or by an equality matcher on
// __name__) and the other labels each matches on.
func selectorsOf(expr parser.Expr) []selector {
	found := []selector{}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		s := selector{Metric: vs.Name, Labels: []string{}}
		for _, m := range vs.LabelMatchers {
			switch {
			case m.Name == labels.MetricName && m.Type == labels.MatchEqual:
				s.Metric = m.Value
			case m.Name != labels.MetricName:
				s.Labels = append(s.Labels, m.Name)
			}
		}
		found = append(found, s)
		return nil
	})
	return found
}

func main() {
	var exprs []string
	if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
		fmt.Fprintln(os.Stderr, "promql-check: stdin must be a JSON array of strings:", err)
		os.Exit(2)
	}
	p := parser.NewParser(parser.Options{})
	out := make([]verdict, 0, len(exprs))
	for _, e := range exprs {
		expr, err := p.ParseExpr(e)
		if err != nil {
			out = append(out, verdict{Error: err.Error()})
			continue
		}
		out = append(out, verdict{Selectors: selectorsOf(expr)})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
