package main

// Transports for mlbench: an in-memory network for the in-process mode and
// a wrapper around memberlist's own UDP/TCP NetTransport for the real-process
// mode. Both count what each member sends and drop packets at the sender
// with the configured probability, so that both modes see the same loss.

import (
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// counters holds what one member sent, cumulative since it started.
type counters struct {
	pkts     atomic.Uint64 // UDP packets handed to the network (lost ones too)
	bytes    atomic.Uint64 // their payload bytes (no IP/UDP header)
	lost     atomic.Uint64 // of those, dropped by the loss model
	tcpConns atomic.Uint64 // stream connections opened (push-pull, TCP ping)
	tcpBytes atomic.Uint64 // payload bytes written on streams, both ends
}

// lossModel decides the fate of packets and connection attempts.
// Loss applies to every UDP packet once, at the sender. A stream connection
// models TCP's handshake: each attempt loses the SYN or the SYN-ACK with
// probability p each and then waits Linux's initial RTO (1 s, doubling);
// once connected a stream is reliable (its data loss is not modelled).
type lossModel struct {
	mu     sync.Mutex
	rng    *rand.Rand
	loss   float64 // per packet, 0..1
	delay  time.Duration
	jitter time.Duration
	synOn  bool    // apply loss to stream handshakes
	scale  float64 // timescale: the RTO is stretched like memberlist's
}

func newLossModel(seed int64) *lossModel {
	return &lossModel{rng: rand.New(rand.NewSource(seed)), synOn: true,
		scale: 1}
}

func (l *lossModel) set(loss float64) {
	l.mu.Lock()
	l.loss = loss
	l.mu.Unlock()
}

// packet says whether a packet is lost and, if not, its one-way delay.
func (l *lossModel) packet() (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loss > 0 && l.rng.Float64() < l.loss {
		return true, 0
	}
	d := l.delay
	if l.jitter > 0 {
		d += time.Duration(l.rng.Int63n(int64(l.jitter)))
	}
	return false, d
}

// connectDelay is the time a TCP handshake takes under the loss model;
// ok is false when it does not complete within timeout.
func (l *lossModel) connectDelay(timeout time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := 2 * l.delay
	if !l.synOn || l.loss <= 0 {
		return d, true
	}
	rto := time.Duration(float64(time.Second) * l.scale)
	for l.rng.Float64() < l.loss || l.rng.Float64() < l.loss {
		d += rto
		rto *= 2
		if d >= timeout {
			return timeout, false
		}
	}
	return d, true
}

// countConn counts the bytes written on one end of a stream.
type countConn struct {
	net.Conn
	c *counters
}

func (c *countConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.c.tcpBytes.Add(uint64(n))
	return n, err
}

// ---------------------------------------------------------------------
// In-memory network

type memAddr struct{ s string }

func (a *memAddr) Network() string { return "mem" }
func (a *memAddr) String() string  { return a.s }

// memNet connects memTransports by address. Addresses look like
// 127.0.0.1:PORT but are names only: nothing is bound or sent.
type memNet struct {
	mu     sync.RWMutex
	byAddr map[string]*memTransport
	lm     *lossModel
	drops  atomic.Uint64 // receive queue full
}

func newMemNet(lm *lossModel) *memNet {
	return &memNet{byAddr: map[string]*memTransport{}, lm: lm}
}

type memTransport struct {
	net   *memNet
	addr  *memAddr
	port  int
	pktCh chan *memberlist.Packet
	strCh chan net.Conn
	down  atomic.Bool // crashed: sends nothing, receives nothing
	c     counters
}

func (n *memNet) newTransport(port int) *memTransport {
	t := &memTransport{
		net:   n,
		addr:  &memAddr{fmt.Sprintf("127.0.0.1:%d", port)},
		port:  port,
		pktCh: make(chan *memberlist.Packet, 4096),
		strCh: make(chan net.Conn, 64),
	}
	n.mu.Lock()
	n.byAddr[t.addr.s] = t
	n.mu.Unlock()
	return t
}

func (n *memNet) peer(addr string) *memTransport {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.byAddr[addr]
}

func (t *memTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return net.IPv4(127, 0, 0, 1), t.port, nil
}

func (t *memTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	now := time.Now()
	if t.down.Load() {
		return now, nil
	}
	t.c.pkts.Add(1)
	t.c.bytes.Add(uint64(len(b)))
	lost, d := t.net.lm.packet()
	if lost {
		t.c.lost.Add(1)
		return now, nil
	}
	dest := t.net.peer(addr)
	if dest == nil {
		return now, nil
	}
	buf := append([]byte(nil), b...)
	deliver := func() {
		if dest.down.Load() {
			return
		}
		p := &memberlist.Packet{Buf: buf, From: t.addr,
			Timestamp: time.Now()}
		select {
		case dest.pktCh <- p:
		default:
			t.net.drops.Add(1)
		}
	}
	if d > 0 {
		time.AfterFunc(d, deliver)
	} else {
		deliver()
	}
	return now, nil
}

func (t *memTransport) PacketCh() <-chan *memberlist.Packet { return t.pktCh }
func (t *memTransport) StreamCh() <-chan net.Conn           { return t.strCh }

var errRefused = errors.New("connection refused")

func (t *memTransport) DialTimeout(addr string,
	timeout time.Duration) (net.Conn, error) {
	if t.down.Load() {
		return nil, errRefused
	}
	dest := t.net.peer(addr)
	if dest == nil || dest.down.Load() {
		return nil, errRefused
	}
	d, ok := t.net.lm.connectDelay(timeout)
	if d > 0 {
		time.Sleep(d)
	}
	if !ok {
		return nil, errors.New("i/o timeout")
	}
	if dest.down.Load() {
		return nil, errRefused
	}
	t.c.tcpConns.Add(1)
	p1, p2 := net.Pipe()
	select {
	case dest.strCh <- &countConn{p1, &dest.c}:
	case <-time.After(timeout):
		p1.Close()
		p2.Close()
		return nil, errors.New("i/o timeout")
	}
	return &countConn{p2, &t.c}, nil
}

func (t *memTransport) Shutdown() error { return nil }

func (t *memTransport) WriteToAddress(b []byte,
	a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

func (t *memTransport) DialAddressTimeout(a memberlist.Address,
	timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

func (t *memTransport) IngestPacket(net.Conn, net.Addr, time.Time,
	bool) error {
	return errors.New("not supported")
}

func (t *memTransport) IngestStream(net.Conn) error {
	return errors.New("not supported")
}

// ---------------------------------------------------------------------
// Real network: memberlist's NetTransport on 127.0.0.1, with the same
// loss model and counters in front of it.

type lossyTransport struct {
	inner *memberlist.NetTransport
	lm    *lossModel
	strCh chan net.Conn
	c     counters
}

func newLossyTransport(port int, lm *lossModel) (*lossyTransport, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		BindPort:  port,
	})
	if err != nil {
		return nil, err
	}
	t := &lossyTransport{inner: nt, lm: lm, strCh: make(chan net.Conn)}
	go func() {
		for c := range nt.StreamCh() {
			t.strCh <- &countConn{c, &t.c}
		}
	}()
	return t, nil
}

func (t *lossyTransport) FinalAdvertiseAddr(ip string,
	port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}

func (t *lossyTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.c.pkts.Add(1)
	t.c.bytes.Add(uint64(len(b)))
	lost, d := t.lm.packet()
	if lost {
		t.c.lost.Add(1)
		return time.Now(), nil
	}
	if d > 0 {
		buf := append([]byte(nil), b...)
		time.AfterFunc(d, func() { t.inner.WriteTo(buf, addr) })
		return time.Now(), nil
	}
	return t.inner.WriteTo(b, addr)
}

func (t *lossyTransport) PacketCh() <-chan *memberlist.Packet {
	return t.inner.PacketCh()
}

func (t *lossyTransport) StreamCh() <-chan net.Conn { return t.strCh }

func (t *lossyTransport) DialTimeout(addr string,
	timeout time.Duration) (net.Conn, error) {
	d, ok := t.lm.connectDelay(timeout)
	if d > 0 {
		time.Sleep(d)
	}
	if !ok {
		return nil, errors.New("i/o timeout")
	}
	c, err := t.inner.DialTimeout(addr, timeout-d)
	if err != nil {
		return nil, err
	}
	t.c.tcpConns.Add(1)
	return &countConn{c, &t.c}, nil
}

func (t *lossyTransport) Shutdown() error { return t.inner.Shutdown() }

func (t *lossyTransport) WriteToAddress(b []byte,
	a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

func (t *lossyTransport) DialAddressTimeout(a memberlist.Address,
	timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

func (t *lossyTransport) IngestPacket(c net.Conn, a net.Addr, now time.Time,
	shouldClose bool) error {
	return t.inner.IngestPacket(c, a, now, shouldClose)
}

func (t *lossyTransport) IngestStream(c net.Conn) error {
	return t.inner.IngestStream(c)
}

var _ memberlist.NodeAwareTransport = (*memTransport)(nil)
var _ memberlist.NodeAwareTransport = (*lossyTransport)(nil)
var _ = strconv.Itoa
