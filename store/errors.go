package store

import "errors"

// ErrLocked is wrapped by Open when another process, usually another Lineup, holds the data file's
// lock beyond the lock timeout.
var ErrLocked = errors.New("data file is locked by another process")

// ErrSchemaTooNew is wrapped by Open when the data file was written by a newer Lineup whose schema
// this build does not know. The file is left untouched.
var ErrSchemaTooNew = errors.New("data file schema is newer than this version of lineup supports")

// ErrCorrupt is wrapped when the data file, or a record in it, cannot be read. The error names the
// bucket and key where a single record is at fault.
var ErrCorrupt = errors.New("data file is corrupt")
