package realtimetest

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m, 4) }

func TestCountSeesOnlyTheTestsOwnGoroutines(t *testing.T) {
	Check(t)
	t.Parallel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inner := make(chan struct{})
			go func() { <-stop; close(inner) }() // a grandchild: labelled too
			<-inner
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for Count(t) != 6 {
		if time.Now().After(deadline) {
			t.Fatalf("Count = %d, want 6", Count(t))
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for Count(t) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("Count = %d after the goroutines ended, want 0", Count(t))
		}
		time.Sleep(time.Millisecond)
	}
}

// A test beside the one above whose goroutines it must not count.
func TestNeighbourGoroutinesAreNotCounted(t *testing.T) {
	Check(t)
	t.Parallel()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { <-stop; close(done) }()
	time.Sleep(50 * time.Millisecond)
	if n := Count(t); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
	close(stop)
	<-done
}

// A goroutine that ends shortly after its test is no leak: the check
// waits for it.
func TestGoroutineEndingAfterTheTestIsNoLeak(t *testing.T) {
	ok := t.Run("late", func(t *testing.T) {
		Check(t)
		stop := make(chan struct{})
		go func() { <-stop }()
		t.Cleanup(func() { time.AfterFunc(100*time.Millisecond, func() { close(stop) }) })
	})
	if !ok {
		t.Fatal("a goroutine that ended 100 ms after the test was reported as a leak")
	}
}

// A leak is found, with the leaking goroutine's stack.
func TestLeakIsFound(t *testing.T) {
	Check(t)
	stop := make(chan struct{})
	defer close(stop)
	go leakyWorker(stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		label, _ := labels.Load(t)
		n, stacks := running(label.(string))
		if n == 1 && strings.Contains(stacks, "realtimetest.leakyWorker") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("running found %d goroutines:\n%s", n, stacks)
		}
		time.Sleep(time.Millisecond)
	}
}

func leakyWorker(stop chan struct{}) { <-stop }
