// Package httpapi is the local HTTP+JSON transport of the client contract in package api: the
// server that serves an api.Phone to other programs (Server), the Go client that is an api.Phone
// over HTTP (Client), the JSON types on the wire, and how a program finds the running server of a
// data directory (the api-token and api.json files, see Discover).
//
// It is its own package so that api stays a contract without a transport: the engine and the
// desktop UI implement and use api in-process without pulling in net/http, and the wire format
// is defined here, by types of its own, rather than by the Go fields (and tags) of the line and
// api types, so that renaming a Go field cannot change what clients read. The golden files in
// testdata pin that JSON. README.md ("Local API") shows the routes with curl.
package httpapi
