package alertrules

import (
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// parseOnce is the engine's parser for the input search: the search runs
// the same few expressions on thousands of inputs, and parsing each query
// again (its regexps compiled again) was half of what a query cost. Each
// distinct expression is parsed once, and every query gets its own copy of
// the tree, since the engine rewrites the tree it evaluates (step-invariant
// wrapping, the series it selected, a sorted grouping). A tree with a node
// copyExpr does not know is parsed again for every query. Not safe for
// concurrent use: each evaluator has its own.
type parseOnce struct {
	parser.Parser
	trees map[string]parser.Expr
}

func newParseOnce() *parseOnce {
	return &parseOnce{Parser: parser.NewParser(parser.Options{}), trees: map[string]parser.Expr{}}
}

// ParseExpr is a fresh copy of input's tree, parsed on first use.
func (p *parseOnce) ParseExpr(input string) (parser.Expr, error) {
	tree, ok := p.trees[input]
	if !ok {
		var err error
		if tree, err = p.Parser.ParseExpr(input); err != nil {
			return tree, err
		}
		p.trees[input] = tree
	}
	if c, ok := copyExpr(tree); ok {
		return c, nil
	}
	return p.Parser.ParseExpr(input)
}

// copyExpr is a copy of e sharing nothing the engine changes (the label
// matchers, immutable, are shared); ok is false when e holds a node it does
// not know or a duration expression, which the engine resolves in place.
func copyExpr(e parser.Expr) (_ parser.Expr, ok bool) {
	switch n := e.(type) {
	case nil:
		return nil, true
	case *parser.NumberLiteral:
		c := *n
		return &c, true
	case *parser.StringLiteral:
		c := *n
		return &c, true
	case *parser.VectorSelector:
		c := *n
		c.LabelMatchers, c.Timestamp = slices.Clone(n.LabelMatchers), copyPtr(n.Timestamp)
		return &c, n.OriginalOffsetExpr == nil
	case *parser.MatrixSelector:
		c := *n
		c.VectorSelector, ok = copyExpr(n.VectorSelector)
		return &c, ok && n.RangeExpr == nil
	case *parser.SubqueryExpr:
		c := *n
		c.Timestamp = copyPtr(n.Timestamp)
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok && n.RangeExpr == nil && n.OriginalOffsetExpr == nil && n.StepExpr == nil
	case *parser.ParenExpr:
		c := *n
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	case *parser.UnaryExpr:
		c := *n
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	case *parser.StepInvariantExpr:
		c := *n
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	}
	return copyOperation(e)
}

// copyOperation is copyExpr of an aggregation, a binary operation or a
// function call.
func copyOperation(e parser.Expr) (_ parser.Expr, ok bool) {
	switch n := e.(type) {
	case *parser.AggregateExpr:
		c := *n
		c.Grouping = slices.Clone(n.Grouping)
		var okParam bool
		c.Expr, ok = copyExpr(n.Expr)
		c.Param, okParam = copyExpr(n.Param)
		return &c, ok && okParam
	case *parser.BinaryExpr:
		c := *n
		if m := n.VectorMatching; m != nil {
			cm := *m
			cm.MatchingLabels, cm.Include = slices.Clone(m.MatchingLabels), slices.Clone(m.Include)
			cm.FillValues.LHS, cm.FillValues.RHS = copyPtr(m.FillValues.LHS), copyPtr(m.FillValues.RHS)
			c.VectorMatching = &cm
		}
		var okRHS bool
		c.LHS, ok = copyExpr(n.LHS)
		c.RHS, okRHS = copyExpr(n.RHS)
		return &c, ok && okRHS
	case *parser.Call:
		c := *n
		c.Args = make(parser.Expressions, len(n.Args))
		for i, a := range n.Args {
			if c.Args[i], ok = copyExpr(a); !ok {
				return nil, false
			}
		}
		return &c, true
	}
	return nil, false
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
