// Package media owns everything that carries a call's sound: RTP and RTCP sessions (plain, or
// SRTP and SRTCP with keys from SDES, RFC 3711 and RFC 4568), the G.711 and G.722 codecs, the
// jitter buffer with loss concealment, RFC 4733 telephone events, tones (ringback, ringtone,
// busy, DTMF feedback) and the audio devices (through malgo).
//
// The line server's signalling (package sip) negotiates what media carries; the engine connects
// the two per call. Nothing in this package blocks or allocates in the audio device callback.
package media
