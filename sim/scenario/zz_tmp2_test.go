package scenario

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZZTime(t *testing.T) {
	dir := os.Getenv("TIMEDIR")
	if dir == "" {
		t.Skip()
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(dir + "/" + e.Name())
		line := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[1])
		line = strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")")
		u, _ := strconv.Unquote(line)
		t0 := time.Now()
		Parse("x", []byte(u))
		if d := time.Since(t0); d > 20*time.Millisecond {
			fmt.Println(e.Name(), d, len(u))
		}
	}
}
