// Package line is Lineup's domain: line groups, lines, locations, feature codes, the function
// catalogue, the decline settings and the rules that derive a line's effective properties from its
// group, together with the validation of all of it and the registration state of a line.
//
// It is pure Go on purpose: no GUI, SIP stack or database is imported here, so the rules that define
// the product can be read and tested on their own. The behaviour follows the product documentation
// page "Line group properties for SIP softphone" as restated in the project's SPEC.
package line
