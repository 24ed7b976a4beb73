package main

import (
	"os"
	"strconv"
	"sync"
	"time"
)

type Worker struct{ n int }

//go:noinline
func (w *Worker) Spin(d time.Duration) int {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ {
			x += i * w.n
		}
	}
	return x
}

func main() {
	secs, _ := strconv.ParseFloat(os.Args[1], 64)
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			w := &Worker{n}
			w.Spin(time.Duration(secs * float64(n) * float64(time.Second) / 3))
		}(i)
	}
	wg.Wait()
}
