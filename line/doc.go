// Package line is Lineup's domain: line groups, lines, locations, feature codes, the function
// catalogue, the decline settings and the rules that derive a line's effective properties from its
// group, the decision of what a call arriving on a line gets (DecideIncoming), together with the
// validation of all of it and the registration state of a line. It holds codes and causes, not
// sentences: the clients word them.
//
// It is pure Go on purpose: no GUI, SIP stack or database is imported here, so the rules that define
// the product can be read and tested on their own. The behaviour follows the product documentation
// page "Line group properties for SIP softphone", as README.md ("Line groups at work") describes it.
package line
