// Package provision owns Lineup's provisioning files: TOML documents that describe a whole
// line.Config (locations, line groups with their feature codes, and lines with their SIP accounts).
//
// Decode reads such a file strictly and reports every problem it finds (syntax, unknown keys,
// wrong types and broken validation rules), each with the line of the file it concerns, so that an
// administrator can fix a file in one pass. Encode writes a configuration back as a file that
// Decode reads to an equal configuration; it is used to export (back up) the configuration.
package provision
