package main

// In-process mode: N members over memNet. Forms the cluster without loss,
// then sets the loss, waits -settle, measures a steady window (traffic and
// false positives), then crashes -crashes members one after another and
// waits each time until every live member holds the crashed one dead.

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

type simMember struct {
	name string
	tr   *memTransport
	ml   *memberlist.Memberlist
	obs  *observer
	dead bool
}

func runSim(args []string) int {
	fs := flag.NewFlagSet("sim", flag.ExitOnError)
	n := fs.Int("n", 16, "members")
	probe := fs.Duration("probe-interval", time.Second, "ProbeInterval")
	loss := fs.Float64("loss", 0, "UDP packet loss, 0..1, after formation")
	delay := fs.Duration("delay", 0, "one-way delay of each packet")
	jitter := fs.Duration("jitter", 0, "extra uniform delay 0..jitter")
	noSyn := fs.Bool("reliable-streams", false,
		"TCP handshakes see no loss (default: SYN/SYN-ACK lost like packets)")
	crashes := fs.Int("crashes", 5, "members crashed one after another")
	settle := fs.Duration("settle", 10*time.Second, "wait after formation")
	steady := fs.Duration("steady", 60*time.Second,
		"window without crashes: traffic and false positives")
	crashTimeout := fs.Duration("crash-timeout", 180*time.Second,
		"give up on one crash after this")
	gap := fs.Duration("gap", 5*time.Second, "wait after each crash")
	formTimeout := fs.Duration("form-timeout", 0,
		"formation limit (default 60 s + 100 ms per member)")
	joinEvery := fs.Duration("join-every", 50*time.Millisecond,
		"pace of joins during formation")
	fanout := fs.Int("join-fanout", 3, "existing members each new one joins")
	scale := fs.Float64("timescale", 1,
		"stretch every memberlist interval (and the run) by this factor "+
			"and report times divided by it, to fit large N on few cores")
	seed := fs.Int64("seed", 1, "random seed (loss, crash choice)")
	out := fs.String("events", "-", "events file (JSON lines), - = stdout")
	verb := fs.Bool("v", false, "memberlist's log on stderr")
	parse(fs, args)

	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mlbench:", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	if *scale < 1 {
		fmt.Fprintln(os.Stderr, "mlbench: -timescale must be >= 1")
		return 2
	}
	rec := newRecorder(w, false)
	rec.scale = *scale
	defer rec.close()
	k := func(d time.Duration) time.Duration {
		return time.Duration(float64(d) * *scale)
	}

	lm := newLossModel(*seed)
	lm.scale = *scale
	lm.delay = k(*delay)
	lm.jitter = k(*jitter)
	lm.synOn = !*noSyn
	mn := newMemNet(lm)
	rng := rand.New(rand.NewSource(*seed + 7))

	// dead[subj] = observers that hold subj dead
	var dmu sync.Mutex
	deadSeen := map[string]map[string]bool{}
	onDead := func(obs, subj string, t time.Time) {
		dmu.Lock()
		if deadSeen[subj] == nil {
			deadSeen[subj] = map[string]bool{}
		}
		deadSeen[subj][obs] = true
		dmu.Unlock()
	}

	t0 := time.Now()
	var ms []*simMember
	var conf *memberlist.Config
	for i := 0; i < *n; i++ {
		name := fmt.Sprintf("m%04d", i)
		tr := mn.newTransport(10000 + i)
		o := &observer{name: name, rec: rec, verb: *verb,
			known: map[string]bool{}, onDead: onDead}
		conf = config(name, *probe, *scale, tr, o)
		ml, err := memberlist.Create(conf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mlbench: create:", err)
			return 1
		}
		ms = append(ms, &simMember{name: name, tr: tr, ml: ml, obs: o})
	}
	// Join one at a time, paced: each joins -join-fanout members that
	// have already joined. Joining all at once floods every member's
	// message queue with alive gossip (memberlist drops what does not fit
	// in HandoffQueueDepth) and the cluster never settles in one process.
	for i := 1; i < len(ms); i++ {
		var seeds []string
		for _, j := range rng.Perm(i) {
			if len(seeds) == *fanout {
				break
			}
			seeds = append(seeds, ms[j].tr.addr.s)
		}
		if _, err := ms[i].ml.Join(seeds); err != nil {
			fmt.Fprintln(os.Stderr, "mlbench: join:", err)
		}
		time.Sleep(k(*joinEvery))
	}
	cj := configJSON(conf, *scale)
	rec.emit(map[string]interface{}{"ev": "config", "mode": "sim",
		"impl": "memberlist", "n": *n, "loss": *loss,
		"delay_ms":         float64(*delay) / 1e6,
		"jitter_ms":        float64(*jitter) / 1e6,
		"reliable_streams": *noSyn, "seed": *seed, "timescale": *scale, "config": cj,
		"go": runtime.Version()})

	ft := *formTimeout
	if ft == 0 {
		ft = 60*time.Second + time.Duration(*n)*100*time.Millisecond
	}
	ft = k(ft)
	formed := false
	for time.Since(t0) < ft {
		all := true
		for _, m := range ms {
			if m.ml.NumMembers() != *n {
				all = false
				break
			}
		}
		if all {
			formed = true
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name
	}
	rec.emit(map[string]interface{}{"ev": "formed", "ok": formed,
		"nodes": names, "formation_s": time.Since(t0).Seconds() / *scale,
		"goroutines": runtime.NumGoroutine()})
	rec.close() // flush: long runs can be watched
	if !formed {
		fmt.Fprintln(os.Stderr, "mlbench: cluster did not form")
		for _, m := range ms {
			m.ml.Shutdown()
		}
		return 3
	}

	lm.set(*loss)
	time.Sleep(k(*settle))

	traffic := func(tag string) {
		var p, b, l, tc, tb uint64
		live := 0
		for _, m := range ms {
			p += m.tr.c.pkts.Load()
			b += m.tr.c.bytes.Load()
			l += m.tr.c.lost.Load()
			tc += m.tr.c.tcpConns.Load()
			tb += m.tr.c.tcpBytes.Load()
			if !m.dead {
				live++
			}
		}
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		cpu := float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		rec.emit(map[string]interface{}{"ev": "traffic", "node": "*",
			"mark": tag, "live": live, "pkts": p, "bytes": b,
			"lost": l, "tcp_conns": tc, "tcp_bytes": tb,
			"queue_drops": mn.drops.Load(),
			"heap_bytes":  mem.HeapAlloc, "cpu_s": cpu,
			"wall_ns": time.Now().UnixNano()})
	}
	rec.emit(map[string]interface{}{"ev": "window", "name": "measure",
		"edge": "start"})
	traffic("steady_start")
	time.Sleep(k(*steady))
	traffic("steady_end")

	for c := 0; c < *crashes; c++ {
		var live []*simMember
		for _, m := range ms {
			if !m.dead {
				live = append(live, m)
			}
		}
		if len(live) < 3 {
			break
		}
		v := live[rng.Intn(len(live))]
		rec.emit(map[string]interface{}{"ev": "crash", "subj": v.name})
		rec.close()
		v.dead = true
		v.tr.down.Store(true)
		go v.ml.Shutdown()
		start := time.Now()
		for time.Since(start) < k(*crashTimeout) {
			dmu.Lock()
			seen := deadSeen[v.name]
			all := true
			for _, m := range ms {
				if !m.dead && !seen[m.name] {
					all = false
					break
				}
			}
			dmu.Unlock()
			if all {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(k(*gap))
	}
	traffic("end")
	rec.emit(map[string]interface{}{"ev": "window", "name": "measure",
		"edge": "end"})
	rec.close()
	var wg sync.WaitGroup
	for _, m := range ms {
		if !m.dead {
			m.tr.down.Store(true)
			wg.Add(1)
			go func(m *simMember) {
				m.ml.Shutdown()
				wg.Done()
			}(m)
		}
	}
	wg.Wait()
	return 0
}
