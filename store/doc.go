// Package store owns Lineup's persistent state: one bbolt file, lineup.db, in the per-user data
// directory. It holds the configuration (locations, line groups and lines, a line.Config), the
// settings (key/value) and the call journal.
//
// # Layout
//
// The file holds top-level buckets only:
//
//	meta       key "schema": the schema version as a decimal number (currently 2);
//	           key "id": the file's random ID (32 hex digits), naming its keyring items
//	locations  one record per line.Location
//	groups     one record per line.Group
//	lines      one record per line.Line
//	settings           key/value settings (made on first write)
//	journal            one JSON record per journal entry, keyed by its 8-byte ID (see journal.go)
//	journal_by_number  index: reversed number, 0x00, ID -> empty (made on first write)
//	journal_by_line    index: line, 0x00, ID -> empty (made on first write)
//
// A record is the item encoded as JSON by the record types of records.go, which fix the format
// independently of package line and of the HTTP API. Its key is its position in
// the configured order as an 8-byte big-endian number, starting at 0, so a cursor walks a bucket in
// the order the administrator set; no separate order record exists. Saving the configuration
// replaces the three configuration buckets as a whole in a single read-write transaction, so a
// reader sees either the old or the new configuration, never a mix, also after a crash.
//
// A bucket that is missing reads as empty; writers create what they need. New kinds of data get
// buckets of their own; a change to the encoding of existing buckets raises the schema version and
// adds a migration.
//
// # Schema versions and migrations
//
// Open reads meta/schema. A file without a meta bucket and without any other bucket is new and gets
// the current version. A file without a meta bucket but with data is version 0, a layout from
// before versions were recorded. An older version is brought up to date by the registered
// migrations, each from one version to the next, all in one transaction: either the whole chain
// succeeds or the file stays as it was; an older version with no migration path is refused with
// ErrCorrupt. A version newer than this build knows is refused with
// ErrSchemaTooNew without writing to the file.
//
// # SIP passwords
//
// With WithSecrets (the OS keyring: OSKeyring), a line's record names its password by a random
// ref ("password_ref") and the password is the Secrets item "<file ID>/<ref>" (secrets.go); a new
// or changed password gets a new ref, written before the transaction commits and deleted if it
// does not, and refs no longer named are deleted after it. Without a Secrets, or when its probe at
// Open fails, the password is in the record, as in schema 1, and Open logs one warning. Because
// bbolt does not zero freed pages, a save that drops a password the file held rewrites the file
// compactly (compact.go). SecretsIn says which mode is in force.
//
// # Locking and permissions
//
// The file may hold account passwords, so the directory is created with mode 0700 and the file with
// mode 0600; a file with looser permissions is tightened on Open (and that is logged). bbolt's
// exclusive file lock keeps a second Lineup off the same data directory: its Open fails after the
// lock timeout with an error wrapping ErrLocked.
package store
