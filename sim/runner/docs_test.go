package runner

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"p2pmesh/sim/scenario"
)

// yamlBlock is a fenced YAML block of a Markdown file.
var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// Every complete scenario the documentation shows (a YAML block that starts
// with its name:) is a file of docs/examples/, byte for byte, and runs with
// every expectation holding; every file there is shown somewhere. The
// examples cannot drift from the program.
func TestDocsExamplesRunAndHold(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	docs = append(docs, "../../README.md")
	examples, _ := filepath.Glob("../../docs/examples/*.yaml")
	if len(examples) == 0 {
		t.Fatal("no docs/examples/*.yaml")
	}
	contents := map[string]string{} // example file → its text
	for _, f := range examples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		contents[f] = string(b)
	}
	shown := map[string]bool{}
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range yamlBlock.FindAllStringSubmatch(string(b), -1) {
			block := m[1]
			if !strings.HasPrefix(block, "name:") {
				continue // a fragment: a few keys or actions
			}
			found := ""
			for f, text := range contents {
				if text == block {
					found = f
				}
			}
			if found == "" {
				t.Errorf("%s: the scenario %q is not a file of docs/examples/ (copy it there, byte for byte)", filepath.Base(doc), strings.SplitN(block, "\n", 2)[0])
				continue
			}
			shown[found] = true
		}
	}
	for _, f := range examples {
		if !shown[f] {
			t.Errorf("%s is shown in no document", f)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := scenario.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Failed {
				t.Errorf("%s: %s", e.Name, e.Detail)
			}
		})
	}
}
