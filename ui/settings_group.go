package ui

import (
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

// settingsGroup is the line group tab: which group is edited and its fields.
type settingsGroup struct {
	box *fyne.Container // the tab's content below the group picker
	at  int             // the group edited

	pick         *widget.Select
	name         *widget.Entry
	notLoggedOn  *widget.Select
	clientReject *widget.Select
	hideDecline  *widget.Check
	journalAll   *widget.Check
	autoNumbers  *widget.Check
	location     *widget.Select
	perLine      *widget.Check
	functions    map[line.Function]*widget.Check
	codes        *fyne.Container // the feature code table
	codeRows     []featureCodeRow
	pickup       *widget.Entry
	pickupMsg    *widget.Label
	addCode      *widget.Button
	registerRate *widget.Entry
	voicemail    *widget.Entry
	monitored    *widget.Entry // the monitored extensions, separated by commas or spaces
}

type featureCodeRow struct {
	name, code    *widget.Entry
	up, down, del *widget.Button
	msg           *widget.Label // the row's messages
}

// The decline responses as the group editor offers them, in the documentation's order.
var (
	notLoggedOnChoices  = []line.Response{line.ResponseBusyHere, line.ResponseTemporarilyUnavailable, line.ResponseDecline, line.ResponseRinging}
	clientRejectChoices = []line.Response{line.ResponseClientChoice, line.ResponseBusyHere, line.ResponseTemporarilyUnavailable, line.ResponseDecline, line.ResponseRinging}
)

func responseOptions(rs []line.Response, cur line.Response) ([]string, int) {
	opts := make([]string, len(rs))
	at := -1
	for i, r := range rs {
		opts[i] = r.String()
		if r == cur {
			at = i
		}
	}
	return opts, at
}

func (s *settingsEditor) groupTab() fyne.CanvasObject {
	return listTab(s, &s.cfg.Groups, &s.g.at, s.g.box, "group", func() line.Group {
		return line.Group{Name: fmt.Sprintf("Group %d", len(s.cfg.Groups)+1),
			NotLoggedOn: line.ResponseBusyHere, ClientReject: line.ResponseClientChoice}
	})
}

// buildGroup lays out the form of the group edited.
func (s *settingsEditor) buildGroup() {
	g := &s.g
	g.box.RemoveAll()
	names := make([]string, len(s.cfg.Groups))
	for i, gr := range s.cfg.Groups {
		names[i] = gr.Name
	}
	g.at = min(g.at, max(0, len(names)-1))
	g.pick = itemPicker(names, g.at, func(i int) { g.at = i; s.rebuild() })
	g.box.Add(form(bold("Group"), g.pick))
	if len(s.cfg.Groups) == 0 {
		g.box.Add(widget.NewLabel("No line groups yet: add one."))
		g.box.Refresh()
		return
	}
	at := func() int { return g.at }
	grp := func() *line.Group { return &s.cfg.Groups[g.at] }
	msg := func(key string) *widget.Label { return s.msg(line.KindGroup, at, key) }

	rename := s.groupRefs(grp().Name)
	g.name = s.entryField(widget.NewEntry(), func() string { return grp().Name }, func(v string) {
		rename(v)
		grp().Name = v
		relabel(g.pick, g.at, v)
	})
	g.box.Add(form(bold("Name"), container.NewVBox(g.name, msg("name"))))

	opts, sel := responseOptions(notLoggedOnChoices, grp().NotLoggedOn)
	g.notLoggedOn = s.pick(opts, sel, func(i int) { grp().NotLoggedOn = notLoggedOnChoices[i] })
	opts, sel = responseOptions(clientRejectChoices, grp().ClientReject)
	g.clientReject = s.pick(opts, sel, func(i int) { grp().ClientReject = clientRejectChoices[i] })
	ringNote := widget.NewLabel("Ringing (180) keeps the call ringing at the server until the caller hangs up or it is deflected or picked up.")
	ringNote.Wrapping = fyne.TextWrapWord
	ringNote.TextStyle = fyne.TextStyle{Italic: true}
	g.hideDecline = widget.NewCheck("Hide Decline button in client", nil)
	g.hideDecline.SetChecked(grp().HideDecline)
	g.hideDecline.OnChanged = func(b bool) { grp().HideDecline = b; s.changed() }
	g.box.Add(section("Settings for declining calls", "", container.NewVBox(
		form(
			widget.NewLabel("Client not logged on or on Call Protection"), container.NewVBox(g.notLoggedOn, msg("not_logged_on")),
			widget.NewLabel("Reject calls by clients"), container.NewVBox(g.clientReject, msg("client_reject")),
		),
		ringNote,
		g.hideDecline,
	)))

	g.journalAll = widget.NewCheck("Activate journal for all lines", nil)
	g.journalAll.SetChecked(grp().JournalAll)
	g.journalAll.OnChanged = func(b bool) { grp().JournalAll = b; s.changed() }
	g.autoNumbers = widget.NewCheck("Set phone numbers automatically", nil)
	g.autoNumbers.SetChecked(grp().AutoNumbers)
	g.autoNumbers.OnChanged = func(b bool) { grp().AutoNumbers = b; s.changed() }
	g.box.Add(section("Journal", "", g.journalAll))
	g.box.Add(section("Line phone numbers and names", "", g.autoNumbers))

	lopts, lat := s.locationOptions(grp().Location)
	g.location = s.pick(lopts, lat, func(i int) {
		grp().Location = ""
		if i > 0 {
			grp().Location = s.cfg.Locations[i-1].Name
		}
	})
	g.perLine = widget.NewCheck("Permit a location per line", nil)
	g.perLine.SetChecked(grp().PerLineLocation)
	g.perLine.OnChanged = func(b bool) { grp().PerLineLocation = b; s.changed() }
	g.box.Add(section("Location settings", "", container.NewVBox(
		form(widget.NewLabel("Group location"), container.NewVBox(g.location, msg("location"))),
		g.perLine,
	)))

	g.functions = map[line.Function]*widget.Check{}
	fnote := widget.NewLabel("A deactivated function is never offered; an active one whenever the state of the line or call permits it.")
	fnote.Wrapping = fyne.TextWrapWord
	fnote.TextStyle = fyne.TextStyle{Italic: true}
	fbox := container.NewVBox(fnote)
	for _, f := range line.Functions() {
		c := widget.NewCheck(f.String()+": "+f.Description(), nil)
		c.SetChecked(!slices.Contains(grp().DisabledFunctions, f))
		c.OnChanged = func(on bool) {
			ds := slices.DeleteFunc(grp().DisabledFunctions, func(d line.Function) bool { return d == f })
			if !on {
				ds = append(ds, f)
				slices.Sort(ds)
			}
			grp().DisabledFunctions = ds
			s.changed()
		}
		g.functions[f] = c
		fbox.Add(c)
	}
	fbox.Add(msg("disabled_functions"))
	g.box.Add(section("Functions", "", fbox))

	g.codes = container.NewVBox()

	g.addCode = widget.NewButtonWithIcon("Add feature code", theme.ContentAddIcon(), func() {
		grp().FeatureCodes = append(grp().FeatureCodes, line.FeatureCode{})
		s.buildCodes()
		s.changed()
	})
	g.pickup = s.entryField(widget.NewEntry(), func() string { return grp().PickupCode }, func(v string) { grp().PickupCode = v })
	g.pickup.SetPlaceHolder("e.g. *59<NUMBER>")
	g.pickupMsg = msg("pickup_code")
	g.box.Add(section("Feature codes", "Offered in the line menu while the line has no call, in this order", container.NewVBox(
		g.codes, container.NewHBox(g.addCode),
		form(widget.NewLabel("Pickup feature code"), container.NewVBox(g.pickup, g.pickupMsg)),
	)))
	s.buildCodes()

	g.voicemail = s.entryField(widget.NewEntry(), func() string { return grp().Voicemail }, func(v string) { grp().Voicemail = v })
	g.voicemail.SetPlaceHolder("e.g. *97")
	g.monitored = s.entryField(widget.NewEntry(), func() string { return strings.Join(grp().Monitored, ", ") },
		func(v string) { grp().Monitored = splitExtensions(v) })
	g.monitored.SetPlaceHolder("e.g. 202, 203")
	g.box.Add(section("Lamps", "The voicemail lamp calls this number; a busy lamp shows each monitored extension (a ringing one can be picked up)",
		form(widget.NewLabel("Voicemail number"), container.NewVBox(g.voicemail, msg("voicemail")),
			widget.NewLabel("Monitored extensions"), container.NewVBox(g.monitored, msg("monitored")))))

	g.registerRate = s.floatField(numberField{kind: line.KindGroup, index: at, name: func() string { return grp().Name },
		key: "register_rate", field: "register rate", rule: "must be a number of requests per second, e.g. 5 or 0.5"},
		func() float64 { return grp().RegisterRate }, func(v float64) { grp().RegisterRate = v })
	g.registerRate.SetPlaceHolder("unpaced")
	g.box.Add(section("Registration", "How fast the group's lines register, so that a small phone system is not flooded at start",
		form(widget.NewLabel("REGISTER requests per second"), container.NewVBox(g.registerRate, msg("register_rate")))))
	g.box.Refresh()
}

// buildCodes lays out the feature code table of the group edited: a row per code with name,
// code, move up, move down and delete.
func (s *settingsEditor) buildCodes() {
	g := &s.g
	grp := &s.cfg.Groups[g.at]
	g.codes.RemoveAll()
	g.codeRows = nil
	s.msgs = slices.DeleteFunc(s.msgs, func(m fieldMsg) bool { return m.codes })
	at := func() int { return g.at }
	if len(grp.FeatureCodes) > 0 {
		g.codes.Add(container.NewGridWithColumns(2, bold("Name"), bold("Code")))
	}
	for i := range grp.FeatureCodes {
		fc := func() *line.FeatureCode { return &s.cfg.Groups[g.at].FeatureCodes[i] }
		name := s.entryField(widget.NewEntry(), func() string { return fc().Name }, func(v string) { fc().Name = v })
		name.SetPlaceHolder("Name")
		code := s.entryField(widget.NewEntry(), func() string { return fc().Code }, func(v string) { fc().Code = v })
		code.SetPlaceHolder("e.g. #21#")
		move := func(to int) func() {
			return func() {
				fcs := s.cfg.Groups[g.at].FeatureCodes
				if to < 0 || to >= len(fcs) {
					return
				}
				fcs[i], fcs[to] = fcs[to], fcs[i]
				s.buildCodes()
				s.changed()
			}
		}
		up := widget.NewButtonWithIcon("", theme.MoveUpIcon(), move(i-1))
		down := widget.NewButtonWithIcon("", theme.MoveDownIcon(), move(i+1))
		del := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			grp := &s.cfg.Groups[g.at]
			grp.FeatureCodes = slices.Delete(grp.FeatureCodes, i, i+1)
			s.buildCodes()
			s.changed()
		})
		if i == 0 {
			up.Disable()
		}
		if i == len(grp.FeatureCodes)-1 {
			down.Disable()
		}
		g.codeRows = append(g.codeRows, featureCodeRow{name: name, code: code, up: up, down: down, del: del})
		g.codes.Add(container.NewBorder(nil, nil, nil, container.NewHBox(up, down, del),
			container.NewGridWithColumns(2, name, code)))
		m := s.msg(line.KindGroup, at, fmt.Sprintf("feature_code[%d].", i))
		s.msgs[len(s.msgs)-1].codes = true
		g.codeRows[i].msg = m
		g.codes.Add(m)
	}
	g.codes.Refresh()
}

// splitExtensions reads the monitored extensions field: extensions separated by commas or
// spaces, in order.
func splitExtensions(v string) []string {
	fs := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' })
	if len(fs) == 0 {
		return nil
	}
	return fs
}
