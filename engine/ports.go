package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// RTP ports are taken from this range in even/odd pairs: RTP on the even port, RTCP on the next
// (RFC 3550 section 11).
const (
	defaultRTPPortMin = 16384
	defaultRTPPortMax = 32766
)

// listenRTP binds an RTP socket on an even port and its RTCP socket on the next port, on ip, trying
// random pairs of [min, max].
func listenRTP(ip string, min, max int) (rtp, rtcp net.PacketConn, err error) {
	if min%2 == 1 {
		min++
	}
	if max <= min {
		return nil, nil, fmt.Errorf("rtp port range %d-%d is empty", min, max)
	}
	pairs := (max - min) / 2
	for range 64 {
		port := min + 2*rand.IntN(pairs+1)
		rtp, err = net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			continue
		}
		rtcp, err = net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(port+1)))
		if err != nil {
			rtp.Close()
			continue
		}
		return rtp, rtcp, nil
	}
	return nil, nil, errors.Join(errors.New("no free rtp port pair"), err)
}

func portOf(c net.PacketConn) int {
	return c.LocalAddr().(*net.UDPAddr).Port
}
