// Command consul-peer is the benchmarks' Consul peer: HashiCorp's official Go client
// (github.com/hashicorp/consul/api) and its api.Lock, the recipe `consul lock` is built on, driven
// over stdin/stdout by the Java benchmark (io.leadership.benchmarks.ConsulLockPeer). One process is
// one client (one api.Client, as one Go program would have); the benchmark starts one per client.
//
// Flags:
//
//	-addr 127.0.0.1:8500   the agent's HTTP address
//	-ttl 10s               every session's TTL; "" = api.Lock's default (DefaultLockSessionTTL, 15s)
//	-lock-delay 1ms        the sessions' LockDelay; "" = not sent, the agent's default (15s). api sends
//	                       whole milliseconds and leaves 0 out, so 1ms is the least it can ask for
//	-shared                one session for every lock of this process (LockOptions.Session), renewed
//	                       here with Session.RenewPeriodic; else each Lock() makes and renews its own
//
// Commands, one a line; every answer is one line, stamps are CLOCK_MONOTONIC nanoseconds (what
// Java's System.nanoTime() reads on Linux, so the benchmark compares them with its own clock):
//
//	lock <id> <key> <value>       api.Lock(...).Lock() in a goroutine -> "elected <id> <ns>" when it
//	                              returns holding the lock; "lost <id> <ns>" if the lock's monitor
//	                              then reports it lost; "error <id> <message>"
//	unlock <id>                   Unlock() -> "unlocked <id> <ns>" (its own session is then destroyed)
//	stop <id>                     stops a waiting Lock() or unlocks a held one -> "stopped <id>"
//	follow <key>                  a blocking-query loop on the key, as `consul watch -type=key` or an
//	                              api user watching a lock: "leader <value> <ns>" at each change of
//	                              the holder ("-" for none)
//	acquire <slot> <key> <value>  the follower measure's writer: "sent <ns>" just before
//	                              KV().Acquire with slot's session (0 or 1, made on first use), then
//	                              "acquired <slot> <true|false>"
//	release <slot> <key>          KV().Release with slot's session -> "released <slot> <true|false>"
//	ping                          -> "pong"
//
// When stdin ends it stops every lock, destroys its sessions and exits.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
	"golang.org/x/sys/unix"
)

var (
	outMu sync.Mutex
	out   = bufio.NewWriter(os.Stdout)
)

func say(format string, args ...any) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(out, format+"\n", args...)
	out.Flush()
}

func now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

type lock struct {
	mu        sync.Mutex
	l         *api.Lock
	stop      chan struct{}
	held      bool
	unlocking bool
}

type peer struct {
	client    *api.Client
	ttl       string
	lockDelay time.Duration
	shared    string
	renewStop chan struct{}

	mu       sync.Mutex
	locks    map[string]*lock
	slots    map[string]string // the writer's sessions
	sessions []chan struct{}   // renewals to stop at the end
}

func (p *peer) session(name string) (string, error) {
	ttl := p.ttl
	if ttl == "" {
		ttl = api.DefaultLockSessionTTL
	}
	id, _, err := p.client.Session().Create(&api.SessionEntry{Name: name, TTL: ttl, LockDelay: p.lockDelay}, nil)
	if err != nil {
		return "", err
	}
	done := make(chan struct{})
	p.sessions = append(p.sessions, done)
	go p.client.Session().RenewPeriodic(ttl, id, nil, done)
	return id, nil
}

func (p *peer) lock(id, key, value string) {
	opts := &api.LockOptions{Key: key, Value: []byte(value), SessionTTL: p.ttl, LockDelay: p.lockDelay, Session: p.shared}
	l, err := p.client.LockOpts(opts)
	if err != nil {
		say("error %s %s", id, oneLine(err))
		return
	}
	lk := &lock{l: l, stop: make(chan struct{})}
	p.mu.Lock()
	if old := p.locks[id]; old != nil {
		old.mu.Lock()
		busy := old.held || !old.unlocking
		old.mu.Unlock()
		if busy {
			p.mu.Unlock()
			say("error %s already locking", id)
			return
		}
	}
	p.locks[id] = lk
	p.mu.Unlock()
	go func() {
		leaderCh, err := l.Lock(lk.stop)
		at := now()
		if err != nil {
			say("error %s %s", id, oneLine(err))
			return
		}
		if leaderCh == nil { // stopped
			return
		}
		lk.mu.Lock()
		lk.held = true
		lk.mu.Unlock()
		say("elected %s %d", id, at)
		<-leaderCh
		lk.mu.Lock()
		lost := !lk.unlocking
		lk.mu.Unlock()
		if lost {
			say("lost %s %d", id, now())
		}
	}()
}

func (p *peer) get(id string) *lock {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.locks[id]
}

// end unlocks a held lock or stops a waiting one; true if it held the lock.
func (lk *lock) end() (bool, error) {
	lk.mu.Lock()
	held := lk.held
	lk.unlocking = true
	lk.held = false
	lk.mu.Unlock()
	if !held {
		select {
		case <-lk.stop:
		default:
			close(lk.stop)
		}
		return false, nil
	}
	return true, lk.l.Unlock()
}

func (p *peer) unlock(id string) {
	lk := p.get(id)
	if lk == nil {
		say("error %s no such lock", id)
		return
	}
	if held, err := lk.end(); err != nil || !held {
		say("error %s unlock: held %v, %v", id, held, err)
		return
	}
	say("unlocked %s %d", id, now())
}

func (p *peer) stopLock(id string) {
	if lk := p.get(id); lk != nil {
		if _, err := lk.end(); err != nil {
			say("error %s stop: %s", id, oneLine(err))
		}
	}
	say("stopped %s", id)
}

func (p *peer) follow(key string) {
	go func() {
		var index uint64
		last := ""
		for {
			pair, meta, err := p.client.KV().Get(key, &api.QueryOptions{WaitIndex: index, WaitTime: 30 * time.Second})
			if err != nil {
				say("error follow %s", oneLine(err))
				time.Sleep(100 * time.Millisecond)
				index = 0
				continue
			}
			at := now()
			leader := "-"
			if pair != nil && pair.Session != "" {
				leader = string(pair.Value)
			}
			if leader != last {
				last = leader
				say("leader %s %d", leader, at)
			}
			if meta.LastIndex < index { // the index went back: start again (Consul's rule)
				index = 0
			} else {
				index = meta.LastIndex
			}
		}
	}()
}

func (p *peer) slot(slot string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.slots[slot]; ok {
		return s, nil
	}
	s, err := p.session("consul-peer writer " + slot)
	if err == nil {
		p.slots[slot] = s
	}
	return s, err
}

func (p *peer) write(acquire bool, slot, key, value string) {
	s, err := p.slot(slot)
	if err != nil {
		say("error %s session: %s", slot, oneLine(err))
		return
	}
	pair := &api.KVPair{Key: key, Value: []byte(value), Session: s, Flags: api.LockFlagValue}
	if acquire {
		say("sent %d", now())
		ok, _, err := p.client.KV().Acquire(pair, nil)
		if err != nil {
			say("error %s acquire: %s", slot, oneLine(err))
			return
		}
		say("acquired %s %v", slot, ok)
		return
	}
	ok, _, err := p.client.KV().Release(pair, nil)
	if err != nil {
		say("error %s release: %s", slot, oneLine(err))
		return
	}
	say("released %s %v", slot, ok)
}

func (p *peer) close() {
	p.mu.Lock()
	all := make([]*lock, 0, len(p.locks))
	for _, lk := range p.locks {
		all = append(all, lk)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, lk := range all {
		wg.Add(1)
		go func(lk *lock) {
			defer wg.Done()
			lk.end()
		}(lk)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	for _, s := range p.sessions {
		close(s) // RenewPeriodic destroys the session
	}
	time.Sleep(200 * time.Millisecond)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8500", "the agent's HTTP address")
	ttl := flag.String("ttl", "", "session TTL; empty: api.Lock's default (15s)")
	lockDelay := flag.String("lock-delay", "", "session LockDelay; empty: not sent (the agent's default, 15s)")
	shared := flag.Bool("shared", false, "one session for every lock of this process")
	flag.Parse()

	config := api.DefaultConfig()
	config.Address = *addr
	config.Token = ""
	client, err := api.NewClient(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consul-peer:", err)
		os.Exit(2)
	}
	p := &peer{client: client, ttl: *ttl, locks: map[string]*lock{}, slots: map[string]string{}}
	if *lockDelay != "" {
		d, err := time.ParseDuration(*lockDelay)
		if err != nil {
			fmt.Fprintln(os.Stderr, "consul-peer: -lock-delay:", err)
			os.Exit(2)
		}
		p.lockDelay = d
	}
	if *shared {
		s, err := p.session("consul-peer shared")
		if err != nil {
			fmt.Fprintln(os.Stderr, "consul-peer: creating the shared session:", err)
			os.Exit(1)
		}
		p.shared = s
	}
	say("ready %d", now())

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "lock" && len(f) == 4:
			p.lock(f[1], f[2], f[3])
		case f[0] == "unlock" && len(f) == 2:
			go p.unlock(f[1])
		case f[0] == "stop" && len(f) == 2:
			go p.stopLock(f[1])
		case f[0] == "follow" && len(f) == 2:
			p.follow(f[1])
		case f[0] == "acquire" && len(f) == 4:
			go p.write(true, f[1], f[2], f[3])
		case f[0] == "release" && len(f) == 3:
			go p.write(false, f[1], f[2], "")
		case f[0] == "ping":
			say("pong")
		default:
			say("error - unknown command %q", in.Text())
		}
	}
	p.close()
}
