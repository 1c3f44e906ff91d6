package scenario

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestZZShow(t *testing.T) {
	dir := os.Getenv("SHOWDIR")
	if dir == "" {
		t.Skip()
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(dir + "/" + e.Name())
		s := string(b)
		if strings.HasPrefix(s, "go test fuzz v1\n") {
			line := strings.TrimSpace(strings.SplitN(s, "\n", 2)[1])
			line = strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")")
			u, err := strconv.Unquote(line)
			if err != nil {
				fmt.Println(e.Name(), "unquote", err)
				continue
			}
			b = []byte(u)
		}
		_, err := Parse(e.Name(), b)
		fmt.Printf("== %s\n%v\n", e.Name(), err)
	}
}
