// SPDX-License-Identifier: GPL-2.0-only

// sep-gohttp: a net/http server and client on loopback in one Go program,
// the Go runtime's netpoller being a raw-syscall epoll user that the
// LD_PRELOAD shim cannot reach.  Prints one line per exchange; the output
// does not depend on timing or on which epoll serves it.
//
//	sep-gohttp [-n requests] [-pause ms] [-hold]
//
// -hold: after the requests, keep the server (and so the netpoller's epoll
// instance) until SIGTERM or SIGINT, for sep-inspect to look at.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 20, "requests")
	pause := flag.Int("pause", 0, "milliseconds between requests")
	hold := flag.Bool("hold", false, "after the requests, wait for SIGTERM or SIGINT")
	flag.Parse()
	// -hold: a signal ends the program at once, with status 0 once the
	// requests are done and 143 while they still run (a hung exchange
	// must not make the signal wait for it).
	var done atomic.Bool
	if *hold {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		go func() {
			<-stop
			if done.Load() {
				os.Exit(0)
			}
			os.Exit(143)
		}()
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %d", r.Method, r.URL.Path, len(body))
	})
	go http.Serve(ln, mux)
	fmt.Printf("pid %d listening\n", os.Getpid())

	url := "http://" + ln.Addr().String()
	for i := 0; i < *n; i++ {
		var wg sync.WaitGroup
		res := make([]string, 4)
		// Four concurrent requests: several connections in the poller.
		for j := range res {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				body := strings.Repeat("x", i*100+j)
				r, err := http.Post(fmt.Sprintf("%s/r%d/%d", url, i, j),
					"text/plain", strings.NewReader(body))
				if err != nil {
					res[j] = "error " + err.Error()
					return
				}
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				res[j] = fmt.Sprintf("%d %s", r.StatusCode, b)
			}(j)
		}
		wg.Wait()
		fmt.Printf("exchange %d: %s\n", i, strings.Join(res, "; "))
		time.Sleep(time.Duration(*pause) * time.Millisecond)
	}
	if *hold {
		done.Store(true)
		select {}
	}
}
