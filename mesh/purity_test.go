package mesh

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The engine is an I/O-free state machine (doc.go): its drivers own the
// clock, the sockets, the goroutines and the randomness, and hand it each
// input with the time. TestEnginePurity keeps it so: it parses the package's
// own files (tests excepted) and fails on an import outside pureImports, a
// goroutine or channel, a clock read or a sleep, package-level randomness,
// or printing.

// pureImports are the packages the engine may use: computation only.
var pureImports = []string{
	"bytes", "cmp", "encoding/binary", "errors", "fmt", "maps", "math",
	"math/bits", "math/rand/v2", "net/netip", "slices", "sort", "strconv",
	"strings", "time", "unicode/utf8",
	"p2pmesh/internal/adversary", // the misbehaviour simulations give some engines
}

// impureCalls are the functions of allowed packages that reach outside the
// engine: the clock, the global random source, the standard streams.
var impureCalls = map[string][]string{
	"time": {"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"},
	// Every package-level function of math/rand/v2 but the constructors
	// draws from the global source.
	"math/rand/v2": {"ExpFloat64", "Float32", "Float64", "Int", "Int32", "Int32N", "Int64", "Int64N",
		"IntN", "N", "NormFloat64", "Perm", "Shuffle", "Uint", "Uint32", "Uint32N", "Uint64", "Uint64N", "UintN"},
	"fmt": {"Print", "Printf", "Println", "Fprint", "Fprintf", "Fprintln", "Scan", "Scanf", "Scanln",
		"Fscan", "Fscanf", "Fscanln", "Sscan", "Sscanf", "Sscanln"},
}

// impureWhy says, per package, why its impureCalls are forbidden.
var impureWhy = map[string]string{
	"time":         "the engine reads no clock and waits for nothing: its driver hands it the time with every input",
	"math/rand/v2": "the engine draws only from the random source its driver hands it (New), never the global one",
	"fmt":          "the engine prints nothing: it reports through its outputs and Stats",
}

func TestEnginePurity(t *testing.T) {
	problems, err := purityProblems(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestPurityCheckFindsEveryKind runs the check on a file that breaks every
// rule (testdata/impure), so that a check that finds nothing cannot pass
// unnoticed.
func TestPurityCheckFindsEveryKind(t *testing.T) {
	problems, err := purityProblems(filepath.Join("testdata", "impure"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(problems, "\n")
	for _, want := range []string{
		`imports "os"`, `imports "sync"`, "go statement", "channel", "select statement",
		"time.Now", "time.Since", "rand.IntN", "fmt.Println",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no problem mentions %s; found:\n%s", want, got)
		}
	}
}

// purityProblems lists what breaks the engine's purity in the non-test Go
// files of dir, each as file:line:col and what is wrong.
func purityProblems(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var problems []string
	report := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, fset.Position(pos).String()+": "+fmt.Sprintf(format, args...))
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		local := map[string]string{} // import name in this file -> path
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(pureImports, path) {
				report(imp.Pos(), "imports %q, which is not among the engine's pure imports (purity_test.go)", path)
			}
			short := path[strings.LastIndex(path, "/")+1:]
			if path == "math/rand/v2" {
				short = "rand"
			}
			if imp.Name != nil {
				short = imp.Name.Name
			}
			local[short] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				report(n.Pos(), "go statement: the engine starts no goroutine")
			case *ast.ChanType:
				report(n.Pos(), "channel type: the engine shares nothing with goroutines")
			case *ast.SelectStmt:
				report(n.Pos(), "select statement: the engine waits for nothing")
			case *ast.SelectorExpr:
				pkg, ok := n.X.(*ast.Ident)
				if !ok {
					break
				}
				if path, ok := local[pkg.Name]; ok && slices.Contains(impureCalls[path], n.Sel.Name) {
					report(n.Pos(), "%s.%s: %s", pkg.Name, n.Sel.Name, impureWhy[path])
				}
			}
			return true
		})
	}
	return problems, nil
}
