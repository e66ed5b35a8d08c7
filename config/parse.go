package config

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

func yamlParse(src []byte) (*ast.File, error) { return parser.ParseBytes(src, 0) }
