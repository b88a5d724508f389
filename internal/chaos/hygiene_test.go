package chaos

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoGlobalRandOrWallClock checks the package's code: randomness comes
// from seeded generators (rand.New), never from math/rand's global one,
// and time from a clock, never from time.Now.
func TestNoGlobalRandOrWallClock(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowedRand := map[string]bool{"New": true, "NewPCG": true, "Rand": true}
	fset := token.NewFileSet()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		test := strings.HasSuffix(name, "_test.go")
		randName, timeName := "", ""
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			local := filepath.Base(strings.TrimSuffix(path, "/v2"))
			if imp.Name != nil {
				local = imp.Name.Name
			}
			switch path {
			case "math/rand", "math/rand/v2":
				randName = local
			case "time":
				timeName = local
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch {
			case randName != "" && pkg.Name == randName && !allowedRand[sel.Sel.Name]:
				t.Errorf("%s: uses the global rand.%s", fset.Position(sel.Pos()), sel.Sel.Name)
			case !test && timeName != "" && pkg.Name == timeName && sel.Sel.Name == "Now":
				t.Errorf("%s: calls time.Now", fset.Position(sel.Pos()))
			}
			return true
		})
	}
}
