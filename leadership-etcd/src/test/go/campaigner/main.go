// Command campaigner is one candidate of an etcd election that uses etcd's own Go client,
// go.etcd.io/etcd/client/v3/concurrency, as a Go service would. EtcdGoInteropTest runs it
// next to the Java candidates (io.leadership.testing.CandidateMain in JVMs of their own) in
// one election, and records its lines in the same History.
//
// Usage: campaigner <endpoints> <election> <id> <ttl-millis>
//
//	endpoints   comma-separated host:port
//	election    the election name; Go's Election uses the prefix "<election>/"
//	id          the value of its key (what followers report as the leader)
//	ttl-millis  the session's lease TTL, rounded up to whole seconds (etcd's unit)
//
// It speaks CandidateMain's line protocol. Every line on stdout is "<word> <nanos> [fields]",
// stamped with CLOCK_MONOTONIC, the clock of Java's System.nanoTime() on Linux (Go's time.Now()
// reads it too but does not expose it as a number):
//
//	ready <nanos> <pid>       connected, about to campaign
//	elected <nanos> <epoch>   Campaign returned: it leads; epoch = the leader key's create revision (e.Rev())
//	down <nanos> <epoch>      it no longer leads (-1: it had not led); the first flag is "down ... -1"
//	act <to> <epoch> <from>   it acted as leader of epoch from from to to (sampled every ~1 ms,
//	                          written when a run ends and at least every 50 ms)
//	error <nanos> <message>, pong <nanos>, stopped <nanos>
//
// Commands on stdin: "resign" (Resign, then campaign again at the back of the queue, as our
// Candidate does), "stop" (step down, close the session, which revokes the lease, and exit),
// "ping" (flush the current run, then answer pong). The end of stdin stops it too.
//
// It believes it leads from Campaign's return until it resigns or its session ends
// (session.Done(): the keep-alives failed or the lease expired); then it starts a new session.
package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"golang.org/x/sys/unix"
)

const (
	sample = time.Millisecond
	flush  = 50 * time.Millisecond
)

// nanos is CLOCK_MONOTONIC in nanoseconds, as Java's System.nanoTime() on Linux.
func nanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

var (
	outMu sync.Mutex
	out   = bufio.NewWriter(os.Stdout)
)

func say(word string, at int64, fields string) {
	outMu.Lock()
	defer outMu.Unlock()
	line := word + " " + strconv.FormatInt(at, 10)
	if fields != "" {
		line += " " + strings.ReplaceAll(fields, "\n", " ")
	}
	out.WriteString(line + "\n")
	out.Flush()
}

// leadership is what the acting loop reads: the epoch it leads under, and the session that holds it.
type leadership struct {
	mu    sync.Mutex
	epoch int64 // -1: not leading
	done  <-chan struct{}
}

func (l *leadership) set(epoch int64, done <-chan struct{}) {
	l.mu.Lock()
	l.epoch, l.done = epoch, done
	l.mu.Unlock()
}

// current is the epoch it leads under now, or -1; a session that ended leads nothing.
func (l *leadership) current() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch < 0 {
		return -1
	}
	select {
	case <-l.done:
		return -1
	default:
		return l.epoch
	}
}

// acting is the leader's work loop, as CandidateMain's: consecutive positive samples form a run.
type acting struct {
	mu                         sync.Mutex
	epoch, from, to, flushedAt int64
}

func (a *acting) run(l *leadership) {
	a.epoch = -1
	for {
		at := nanos() // stamped before the call it reports on
		now := l.current()
		a.mu.Lock()
		if now >= 0 && now == a.epoch {
			a.to = at
			if at-a.flushedAt >= flush.Nanoseconds() {
				a.write()
				a.from = at
			}
		} else {
			a.write()
			a.epoch, a.from, a.to, a.flushedAt = now, at, at, at
		}
		a.mu.Unlock()
		time.Sleep(sample)
	}
}

// flushRun writes the open run (if any) and keeps it open.
func (a *acting) flushRun() {
	a.mu.Lock()
	a.write()
	a.from = a.to
	a.mu.Unlock()
}

func (a *acting) write() { // holds a.mu
	if a.epoch >= 0 {
		say("act", a.to, fmt.Sprintf("%d %d", a.epoch, a.from))
		a.flushedAt = a.to
	}
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: campaigner <endpoints> <election> <id> <ttl-millis>")
		os.Exit(2)
	}
	endpoints, election, id := strings.Split(os.Args[1], ","), os.Args[2], os.Args[3]
	ttlMillis, err := strconv.ParseInt(os.Args[4], 10, 64)
	if err != nil || ttlMillis <= 0 {
		fmt.Fprintln(os.Stderr, "bad ttl-millis:", os.Args[4])
		os.Exit(2)
	}
	ttl := int(math.Ceil(float64(ttlMillis) / 1000))

	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 2 * time.Second})
	if err != nil {
		say("error", nanos(), "connect: "+err.Error())
		os.Exit(1)
	}
	defer cli.Close()

	var l leadership
	l.set(-1, nil)
	var a acting
	go a.run(&l)

	// stdin: ping is answered here; resign and stop go to the campaign loop.
	commands := make(chan string, 16)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			switch c := strings.TrimSpace(in.Text()); c {
			case "ping":
				at := nanos()
				a.flushRun()
				say("pong", at, "")
			case "resign", "stop":
				commands <- c
			default:
				say("error", nanos(), "unknown command '"+c+"'")
			}
		}
		commands <- "stop" // the test JVM is gone
	}()

	say("ready", nanos(), strconv.Itoa(os.Getpid()))
	say("down", nanos(), "-1")
	campaign(cli, election, id, ttl, &l, &a, commands)
	a.flushRun()
	say("stopped", nanos(), "")
}

// campaign runs for election until "stop": sessions one after another, and in each a Campaign,
// leading until resign (then Campaign again) or the end of the session (then a new session).
func campaign(cli *clientv3.Client, election, id string, ttl int, l *leadership, a *acting, commands <-chan string) {
	for {
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl))
		if err != nil {
			say("error", nanos(), "session: "+err.Error())
			select {
			case c := <-commands:
				if c == "stop" {
					return
				}
			case <-time.After(100 * time.Millisecond): // retry back-off
			}
			continue
		}
		e := concurrency.NewElection(s, election)
		if stop := term(cli, s, e, id, l, a, commands); stop {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.Orphan()
			if _, err := cli.Revoke(ctx, s.Lease()); err != nil {
				say("error", nanos(), "revoke: "+err.Error())
			}
			cancel()
			return
		}
		s.Close()
	}
}

// term campaigns in session s until stop (true) or the session ends (false).
func term(cli *clientv3.Client, s *concurrency.Session, e *concurrency.Election, id string, l *leadership, a *acting,
	commands <-chan string) bool {
	for {
		ctx, cancel := context.WithCancel(context.Background())
		result := make(chan error, 1)
		go func() { result <- e.Campaign(ctx, id) }()
	waiting:
		for {
			select {
			case err := <-result:
				if err != nil {
					cancel()
					say("error", nanos(), "campaign: "+err.Error())
					return false
				}
				break waiting
			case c := <-commands:
				if c == "stop" {
					cancel()
					<-result // a cancelled Campaign deletes its key
					return true
				} // resign while not leading: nothing to give up
			case <-s.Done():
				cancel()
				<-result
				say("error", nanos(), "session ended while campaigning (lease "+fmt.Sprintf("%x", s.Lease())+")")
				return false
			}
		}
		cancel()
		epoch := e.Rev()
		l.set(epoch, s.Done())
		say("elected", nanos(), strconv.FormatInt(epoch, 10))

		for leading := true; leading; {
			select {
			case c := <-commands:
				// Step down first: the acting loop stops before the key is deleted.
				l.set(-1, nil)
				a.flushRun()
				say("down", nanos(), strconv.FormatInt(epoch, 10))
				if c == "stop" {
					return true
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				if err := e.Resign(ctx); err != nil {
					say("error", nanos(), "resign: "+err.Error())
				}
				cancel()
				leading = false
			case <-s.Done():
				l.set(-1, nil)
				a.flushRun()
				say("down", nanos(), strconv.FormatInt(epoch, 10))
				say("error", nanos(), "session ended (lease "+fmt.Sprintf("%x", s.Lease())+" expired or its keep-alives failed)")
				return false
			}
		}
	}
}
