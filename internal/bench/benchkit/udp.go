package benchkit

import (
	"bufio"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// HostUDPDrops returns the host's count of UDP datagrams dropped for a full receive buffer
// (RcvbufErrors of the Udp lines in /proc/net/snmp), or -1 where it cannot be read.
func HostUDPDrops() int64 {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return -1
	}
	defer f.Close()
	return SNMPField(f, "Udp:", "RcvbufErrors")
}

// SNMPField reads one field of a /proc/net/snmp table: a header line and a value line that both
// start with prefix ("Udp:"). It returns -1 where there is no such field or value.
func SNMPField(r io.Reader, prefix, field string) int64 {
	sc := bufio.NewScanner(r)
	var head []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != prefix {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		for i := range head {
			if head[i] == field && i < len(f) {
				if n, err := strconv.ParseInt(f[i], 10, 64); err == nil {
					return n
				}
			}
		}
		return -1
	}
	return -1
}

// SocketUDPDrops returns the drops counter of the IPv4 UDP socket bound to addr (host:port) in
// /proc/net/udp, or -1 where there is no such socket or file.
func SocketUDPDrops(addr string) int64 {
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		return -1
	}
	defer f.Close()
	return SocketDrops(f, addr)
}

// SocketDrops reads a /proc/net/udp table, where the local address reads "0100007F:13C4" (the IP
// in host byte order, the port in big-endian hex) and drops is the last column. It returns the
// drops of the socket on addr's port, or -1 where there is none.
func SocketDrops(r io.Reader, addr string) int64 {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return -1
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return -1
	}
	want := ":" + strings.ToUpper(strconv.FormatUint(port, 16))
	for len(want) < 5 {
		want = ":0" + want[1:]
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 13 || !strings.HasSuffix(f[1], want) {
			continue
		}
		if n, err := strconv.ParseInt(f[len(f)-1], 10, 64); err == nil {
			return n
		}
	}
	return -1
}

// DropDelta is after - before of two drop counters, or -1 where either is unknown.
func DropDelta(after, before int64) int64 {
	if after < 0 || before < 0 {
		return -1
	}
	return after - before
}
