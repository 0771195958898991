// Package baresiptest owns the baresip harness of Lineup's interop tests: it starts baresip (the
// Debian baresip-core user agent) as the party at the other end of a call, registered at the test
// PBX of package testpbx, and drives it through baresip's ctrl_tcp JSON control socket.
//
// An Agent dials, answers, holds, resumes, sends DTMF and hangs up on command, reports baresip's
// call events (CALL_INCOMING, CALL_ESTABLISHED, CALL_DTMF_START, CALL_CLOSED, ...), sends a sine
// tone of a chosen frequency as its microphone (baresip's ausine source) and records every call
// (baresip's sndfile module) so that a test can check with a Goertzel filter which tone it heard.
//
// An agent may encrypt its media with SRTP (baresip's srtp module, SDES keys of RFC 4568;
// Config.MediaEnc "srtp", "srtp-mand" or "srtp-mandf") and may register and call over TLS
// (Config.Transport "tls", to the PBX's TLS listener, with the PBX's CA as sip_cafile).
// MediaEncrypted and MediaEncryption tell from baresip's CALL_MENC event and log whether a
// call's audio was encrypted, SRTPFailures how many packets baresip could not decrypt. baresip 1.0
// does not verify the server certificate of a TLS connection (libre 1.1 trusts any; baresip has
// no sip_verify_server yet): TLS here encrypts the signalling but proves nothing about
// certificate checks, which need Lineup as the client.
//
// Everything stays on 127.0.0.1: SIP, RTP and the control socket bind to loopback on free ports,
// baresip's DNS resolver points at loopback, and no NAT, STUN or network-probing module is loaded.
package baresiptest
