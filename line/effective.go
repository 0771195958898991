package line

// WithDefaults returns a copy of c with every unset setting at its documented default: "client not
// logged on" answers Busy Here (486) and "reject calls by clients" sends the client's choice
// (486/603). The copy shares no slices with c.
func (c Config) WithDefaults() Config {
	out := c.Clone()
	for i := range out.Groups {
		g := &out.Groups[i]
		if g.NotLoggedOn == ResponseUnset {
			g.NotLoggedOn = ResponseBusyHere
		}
		if g.ClientReject == ResponseUnset {
			g.ClientReject = ResponseClientChoice
		}
	}
	return out
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	out := Config{
		Locations: append([]Location(nil), c.Locations...),
		Groups:    make([]Group, len(c.Groups)),
		Lines:     append([]Line(nil), c.Lines...),
	}
	for i, g := range c.Groups {
		g.DisabledFunctions = append([]Function(nil), g.DisabledFunctions...)
		g.FeatureCodes = append([]FeatureCode(nil), g.FeatureCodes...)
		out.Groups[i] = g
	}
	return out
}

// Location returns the location with that name.
func (c *Config) Location(name string) (*Location, bool) {
	for i := range c.Locations {
		if c.Locations[i].Name == name {
			return &c.Locations[i], true
		}
	}
	return nil, false
}

// Group returns the group with that name.
func (c *Config) Group(name string) (*Group, bool) {
	for i := range c.Groups {
		if c.Groups[i].Name == name {
			return &c.Groups[i], true
		}
	}
	return nil, false
}

// Line returns the line with that name.
func (c *Config) Line(name string) (*Line, bool) {
	for i := range c.Lines {
		if c.Lines[i].Name == name {
			return &c.Lines[i], true
		}
	}
	return nil, false
}

// LinesOf returns the lines of a group in their configured order.
func (c *Config) LinesOf(group string) []Line {
	var out []Line
	for _, l := range c.Lines {
		if l.Group == group {
			out = append(out, l)
		}
	}
	return out
}

// Effective is a line with its group's properties applied: what the line server and the clients
// act on.
type Effective struct {
	Line  Line
	Group Group
	// Location is the line's own location where the group permits one and the line sets it, else
	// the group's; nil when neither names one.
	Location *Location
	// Journal is on when the line's switch or the group's "journal for all lines" is on.
	Journal bool
	// ManualNumber is the number entered in the line's details, used only while the group does not
	// set numbers automatically (then it is empty).
	ManualNumber string
}

// Effective applies the group rules to the named line. It reports false when the line, or its
// group, does not exist.
func (c *Config) Effective(lineName string) (Effective, bool) {
	l, ok := c.Line(lineName)
	if !ok {
		return Effective{}, false
	}
	g, ok := c.Group(l.Group)
	if !ok {
		return Effective{}, false
	}
	e := Effective{Line: *l, Group: *g, Journal: l.Journal || g.JournalAll}
	locName := g.Location
	if g.PerLineLocation && l.Location != "" {
		locName = l.Location
	}
	if loc, ok := c.Location(locName); ok {
		cp := *loc
		e.Location = &cp
	}
	if !g.AutoNumbers {
		e.ManualNumber = l.Number
	}
	return e, true
}

// FunctionEnabled reports whether the group offers f at all (it is not deactivated).
func (g *Group) FunctionEnabled(f Function) bool {
	for _, d := range g.DisabledFunctions {
		if d == f {
			return false
		}
	}
	return true
}
