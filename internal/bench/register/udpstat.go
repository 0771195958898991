package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// udpRcvbufErrors returns the host's count of UDP datagrams dropped for a full receive buffer
// (RcvbufErrors in /proc/net/snmp), or -1 where it cannot be read.
func udpRcvbufErrors() int64 {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return -1
	}
	defer f.Close()
	return snmpUDPField(f, "RcvbufErrors")
}

// snmpUDPField finds a field of the "Udp:" header and value lines of /proc/net/snmp.
func snmpUDPField(r io.Reader, field string) int64 {
	sc := bufio.NewScanner(r)
	var head []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		for i := range head {
			if head[i] == field && i < len(f) {
				n, err := strconv.ParseInt(f[i], 10, 64)
				if err != nil {
					return -1
				}
				return n
			}
		}
		return -1
	}
	return -1
}

// udpSocketDrops returns the drops counter of the IPv4 UDP socket bound to addr (host:port) from
// /proc/net/udp, or -1 when there is no such socket or no such file.
func udpSocketDrops(addr string) int64 {
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		return -1
	}
	defer f.Close()
	return socketDrops(f, addr)
}

// socketDrops reads a /proc/net/udp table: the local address is hex "0100007F:B1A7" (the IP in
// host byte order, the port big-endian) and drops is the last column.
func socketDrops(r io.Reader, addr string) int64 {
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return -1
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return -1
	}
	want := ":" + strings.ToUpper(strconv.FormatInt(int64(port), 16))
	for len(want) < 5 {
		want = ":0" + want[1:]
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 13 || !strings.HasSuffix(f[1], want) {
			continue
		}
		n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	return -1
}
