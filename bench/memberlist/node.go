package main

// Real-process mode: one member on 127.0.0.1:PORT (UDP and TCP, memberlist's
// NetTransport). Events go to stdout as JSON lines. Commands on stdin, one
// per line: "loss P" sets the UDP loss (0..1), "stats" prints the traffic
// counters, "quit" shuts down without leaving. It never binds or sends to
// anything but 127.0.0.1.

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

func runNode(args []string) int {
	fs := flag.NewFlagSet("node", flag.ExitOnError)
	name := fs.String("name", "", "member name")
	port := fs.Int("port", 0, "UDP and TCP port on 127.0.0.1")
	join := fs.String("join", "", "comma-separated 127.0.0.1:PORT to join")
	probe := fs.Duration("probe-interval", time.Second, "ProbeInterval")
	loss := fs.Float64("loss", 0, "UDP packet loss at start, 0..1")
	noSyn := fs.Bool("reliable-streams", false,
		"TCP handshakes see no added loss")
	seed := fs.Int64("seed", 1, "random seed of the loss model")
	verb := fs.Bool("v", false, "memberlist's log on stderr")
	parse(fs, args)
	if *name == "" || *port <= 0 {
		fmt.Fprintln(os.Stderr, "mlbench node: -name and -port needed")
		return 2
	}
	rec := newRecorder(os.Stdout, true)
	lm := newLossModel(*seed)
	lm.synOn = !*noSyn
	lm.set(*loss)
	tr, err := newLossyTransport(*port, lm)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mlbench node:", err)
		return 1
	}
	o := &observer{name: *name, rec: rec, verb: *verb, joins: true,
		known: map[string]bool{}}
	conf := config(*name, *probe, 1, tr, o)
	conf.BindAddr = "127.0.0.1"
	conf.BindPort = *port
	conf.AdvertiseAddr = "127.0.0.1"
	conf.AdvertisePort = *port
	ml, err := memberlist.Create(conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mlbench node: create:", err)
		return 1
	}
	rec.emit(map[string]interface{}{"ev": "node_config", "mode": "node",
		"impl": "memberlist", "obs": *name, "port": *port,
		"config": configJSON(conf, 1), "go": runtime.Version()})
	if *join != "" {
		var seeds []string
		for _, s := range strings.Split(*join, ",") {
			if !strings.HasPrefix(s, "127.0.0.1:") {
				fmt.Fprintln(os.Stderr, "mlbench node: loopback only:", s)
				return 2
			}
			seeds = append(seeds, s)
		}
		for try := 0; try < 20; try++ {
			if _, err = ml.Join(seeds); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mlbench node: join:", err)
		}
	}
	stats := func() {
		rec.emit(map[string]interface{}{"ev": "traffic", "node": *name,
			"pkts": tr.c.pkts.Load(), "bytes": tr.c.bytes.Load(),
			"lost":      tr.c.lost.Load(),
			"tcp_conns": tr.c.tcpConns.Load(),
			"tcp_bytes": tr.c.tcpBytes.Load(),
			"members":   ml.NumMembers()})
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "loss":
			var p float64
			if len(f) == 2 {
				fmt.Sscan(f[1], &p)
			}
			lm.set(p)
		case "stats":
			stats()
		case "quit":
			ml.Shutdown()
			return 0
		}
	}
	ml.Shutdown()
	return 0
}
