// Package impure breaks every rule of the engine's purity, for
// TestPurityCheckFindsEveryKind. It is never built.
package impure

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

var mu sync.Mutex

func everything(done chan struct{}) time.Duration {
	start := time.Now()
	go func() { done <- struct{}{} }()
	select {
	case <-done:
	}
	fmt.Println(rand.IntN(6), os.Args)
	return time.Since(start)
}
