package line

import "strings"

// KeepPasswords gives the lines of next that come without a password the password of the line
// of old with the same name and the same account in every other respect (registrar, proxy,
// domain, user, auth user, transport, ...): a set-up read back without its secrets (the HTTP
// API's GET, `provision export` without --passwords) can be edited and saved again without losing
// them. A line whose account changed in any way gets no old password, so that pointing a line at
// another host cannot carry its password there. It returns next with the
// passwords filled in (the Lines slice is copied) and how many were kept.
func KeepPasswords(next, old Config) (Config, int) {
	if len(next.Lines) == 0 {
		return next, 0
	}
	lines := make([]Line, len(next.Lines))
	copy(lines, next.Lines)
	next.Lines = lines
	kept := 0
	for i := range lines {
		a := &lines[i].Account
		if a.Password != "" {
			continue
		}
		for _, o := range old.Lines {
			oa := o.Account
			oa.Password = ""
			if strings.EqualFold(strings.TrimSpace(o.Name), strings.TrimSpace(lines[i].Name)) &&
				oa == *a && o.Account.Password != "" {
				a.Password = o.Account.Password
				kept++
				break
			}
		}
	}
	return next, kept
}

// WithoutPasswords returns cfg with every line's password removed (the Lines slice is copied).
func WithoutPasswords(cfg Config) Config {
	lines := make([]Line, len(cfg.Lines))
	copy(lines, cfg.Lines)
	for i := range lines {
		lines[i].Account.Password = ""
	}
	cfg.Lines = lines
	return cfg
}
