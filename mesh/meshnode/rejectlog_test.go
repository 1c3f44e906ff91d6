package meshnode

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRejectLogIsRateLimited(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedBuffer{mu: &mu, b: &buf}, nil))
	r := newRejectLog(log, time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				r.refuse("malformed frame", "remote", "192.0.2.1:4000")
			}
		}()
	}
	wg.Wait()
	r.refuse("handshake timeout")
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if n := strings.Count(out, "refused: malformed frame"); n != 1 {
		t.Errorf("800 malformed frames logged %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "refused: handshake timeout") {
		t.Errorf("another reason was not logged:\n%s", out)
	}

	// After the interval the count of what was not logged is reported.
	r = newRejectLog(log, time.Second)
	clock := time.Unix(1000, 0)
	r.now = func() time.Time { return clock }
	r.refuse("flood")
	r.refuse("flood")
	clock = clock.Add(2 * time.Second)
	r.refuse("flood")
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(buf.String(), "more_since_last_logged=1") {
		t.Errorf("suppressed refusals not counted:\n%s", buf.String())
	}
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
