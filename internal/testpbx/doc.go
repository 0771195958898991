// Package testpbx owns Lineup's test PBX: it starts a real Kamailio registrar and proxy (the
// Debian kamailio package) on free loopback ports for integration tests, `make demo` and
// `make bench`, and stops it again.
//
// Kamailio's configuration is rendered from kamailio.cfg.tmpl in this package's folder (it lives
// here rather than in the repository's testdata/ because go:embed cannot reach outside the
// package's folder). The PBX authenticates REGISTER with digest against the configured users,
// answers OPTIONS addressed to itself with 200, and relays every other request for a registered
// user to the address the user registered from, without authentication: it is a test PBX.
//
// Launch starts one for a program; Start is Launch for tests, with cleanup. Ping sends an OPTIONS
// to the PBX itself over a chosen transport.
package testpbx
