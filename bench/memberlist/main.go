// mlbench: hashicorp memberlist (Debian's golang-github-hashicorp-memberlist-
// dev) as the anchor of hbeat's gossip benchmark (issue 13). Built and run
// by bench/memberlist_bench.py, which also explains the figures.
//
//	mlbench sim  -n 64 [-loss 0.01] ...   N members in this process over an
//	                                       in-memory network; crashes
//	mlbench node -name m01 -port P ...    one member on 127.0.0.1:P, driven
//	                                       by the benchmark over stdin/stdout
//
// Both write the same JSON-lines events (see bench/memberlist/README.md):
// who saw whom suspect or dead and when, crashes, traffic counters.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// recorder writes one JSON object per line.
// Times are Unix nanoseconds; with a timescale k > 1 (sim mode) every
// memberlist duration is k times longer and the recorder reports time
// elapsed since its start divided by k, so that the events read as a run at
// the nominal settings that used 1/k of the CPU.
type recorder struct {
	mu    sync.Mutex
	w     *bufio.Writer
	flush bool // flush after every line (node mode: read live)
	start time.Time
	scale float64
}

func newRecorder(w io.Writer, flush bool) *recorder {
	return &recorder{w: bufio.NewWriterSize(w, 1<<16), flush: flush,
		start: time.Now(), scale: 1}
}

// stamp converts a wall-clock time into the run's (scaled) time.
func (r *recorder) stamp(t time.Time) int64 {
	if r.scale == 1 {
		return t.UnixNano()
	}
	el := float64(t.Sub(r.start)) / r.scale
	return r.start.UnixNano() + int64(el)
}

func (r *recorder) emit(ev map[string]interface{}) {
	if t, ok := ev["t_ns"].(time.Time); ok {
		ev["t_ns"] = r.stamp(t)
	} else if !ok {
		ev["t_ns"] = r.stamp(time.Now())
	}
	b, _ := json.Marshal(ev)
	r.mu.Lock()
	r.w.Write(b)
	r.w.WriteByte('\n')
	if r.flush {
		r.w.Flush()
	}
	r.mu.Unlock()
}

// close flushes; the file stays open and usable.
func (r *recorder) close() {
	r.mu.Lock()
	r.w.Flush()
	r.mu.Unlock()
}

// observer turns one member's events and log lines into recorder events.
// onDead, when set, is called for every member this one sees dead.
type observer struct {
	name   string
	rec    *recorder
	verb   bool
	joins  bool // emit a line per join (node mode)
	mu     sync.Mutex
	known  map[string]bool
	onDead func(obs, subj string, t time.Time)
}

func (o *observer) NotifyJoin(n *memberlist.Node) {
	o.mu.Lock()
	o.known[n.Name] = true
	o.mu.Unlock()
	if o.joins {
		o.rec.emit(map[string]interface{}{"ev": "join", "obs": o.name,
			"subj": n.Name})
	}
}

func (o *observer) NotifyLeave(n *memberlist.Node) {
	t := time.Now()
	o.rec.emit(map[string]interface{}{"ev": "dead", "obs": o.name,
		"subj": n.Name, "t_ns": t})
	if o.onDead != nil {
		o.onDead(o.name, n.Name, t)
	}
}

func (o *observer) NotifyUpdate(*memberlist.Node) {}

var (
	reSuspect = regexp.MustCompile(
		`Suspect (\S+) has failed, no acks received`)
	reDeclare = regexp.MustCompile(
		`Marking (\S+) as failed, suspect timeout reached \((\d+)`)
	reRefute = regexp.MustCompile(
		`Refuting a (suspect|dead) message \(from: (\S+)\)`)
)

// Write parses memberlist's log lines (one per call, from log.Logger).
func (o *observer) Write(p []byte) (int, error) {
	s := string(p)
	if o.verb {
		os.Stderr.WriteString(o.name + " " + s)
	}
	if m := reSuspect.FindStringSubmatch(s); m != nil {
		o.rec.emit(map[string]interface{}{"ev": "suspect",
			"obs": o.name, "subj": m[1]})
	} else if m := reDeclare.FindStringSubmatch(s); m != nil {
		var k int
		fmt.Sscan(m[2], &k)
		o.rec.emit(map[string]interface{}{"ev": "declare",
			"obs": o.name, "subj": m[1], "confirmations": k})
	} else if m := reRefute.FindStringSubmatch(s); m != nil {
		o.rec.emit(map[string]interface{}{"ev": "refute",
			"obs": o.name, "subj": o.name, "what": m[1],
			"from": m[2]})
	}
	return len(p), nil
}

// config is DefaultLANConfig with the probe interval from the flag and,
// when scale > 1, every interval and timeout stretched by scale.
func config(name string, probe time.Duration, scale float64,
	t memberlist.Transport, o *observer) *memberlist.Config {
	c := memberlist.DefaultLANConfig()
	c.Name = name
	c.ProbeInterval = probe
	if scale != 1 {
		k := func(d time.Duration) time.Duration {
			return time.Duration(float64(d) * scale)
		}
		c.ProbeInterval = k(c.ProbeInterval)
		c.ProbeTimeout = k(c.ProbeTimeout)
		c.GossipInterval = k(c.GossipInterval)
		c.GossipToTheDeadTime = k(c.GossipToTheDeadTime)
		c.PushPullInterval = k(c.PushPullInterval)
		c.TCPTimeout = k(c.TCPTimeout)
	}
	c.Transport = t
	c.Events = o
	c.LogOutput = o
	return c
}

// configJSON reports the settings that matter for the comparison, at the
// nominal time scale.
func configJSON(c *memberlist.Config, scale float64) map[string]interface{} {
	ms := func(d time.Duration) float64 {
		return float64(d) / 1e6 / scale
	}
	return map[string]interface{}{
		"base":                       "DefaultLANConfig",
		"timescale":                  scale,
		"probe_interval_ms":          ms(c.ProbeInterval),
		"probe_timeout_ms":           ms(c.ProbeTimeout),
		"indirect_checks":            c.IndirectChecks,
		"suspicion_mult":             c.SuspicionMult,
		"suspicion_max_timeout_mult": c.SuspicionMaxTimeoutMult,
		"retransmit_mult":            c.RetransmitMult,
		"gossip_interval_ms":         ms(c.GossipInterval),
		"gossip_nodes":               c.GossipNodes,
		"push_pull_interval_ms":      ms(c.PushPullInterval),
		"tcp_timeout_ms":             ms(c.TCPTimeout),
		"disable_tcp_pings":          c.DisableTcpPings,
		"awareness_max_multiplier":   c.AwarenessMaxMultiplier,
		"enable_compression":         c.EnableCompression,
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mlbench sim|node [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "sim":
		os.Exit(runSim(os.Args[2:]))
	case "node":
		os.Exit(runNode(os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, "usage: mlbench sim|node [flags]")
	os.Exit(2)
}

func parse(fs *flag.FlagSet, args []string) {
	if err := fs.Parse(args); err != nil {
		os.Exit(2)
	}
}
