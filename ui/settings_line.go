package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

// settingsLine is the lines tab: which line is edited and its fields.
type settingsLine struct {
	box *fyne.Container
	at  int

	pick      *widget.Select
	name      *widget.Entry
	group     *widget.Select
	registrar *widget.Entry
	proxy     *widget.Entry
	user      *widget.Entry
	authUser  *widget.Entry
	password  *widget.Entry
	transport *widget.Select
	caFile    *widget.Entry // nil unless the transport is tls or a CA file is set
	direct    *widget.Check
	encrypt   *widget.Select
	expires   *widget.Entry
	display   *widget.Entry
	domain    *widget.Entry
	number    *widget.Entry
	location  *widget.Select // nil unless the group permits a location per line
	journal   *widget.Check
	enabled   *widget.Check
	now       *widget.Label
	msgOf     map[string]*widget.Label // the message labels by field key
}

var transports = []line.Transport{line.TransportUDP, line.TransportTCP, line.TransportTLS}

// encryptions are the media encryption choices, in the words of the line editor.
var encryptions = []struct {
	policy line.MediaEncryption
	text   string
}{
	{line.EncryptionOff, "Off (plain RTP)"},
	{line.EncryptionOffer, "Offer SRTP, accept plain"},
	{line.EncryptionRequire, "Require SRTP"},
}

func (s *settingsEditor) lineTab() fyne.CanvasObject {
	return listTab(s, &s.cfg.Lines, &s.l.at, s.l.box, "line", func() line.Line {
		l := line.Line{Name: fmt.Sprintf("Line %d", len(s.cfg.Lines)+1)}
		if len(s.cfg.Groups) > 0 {
			l.Group = s.cfg.Groups[0].Name
		}
		if s.l.at < len(s.cfg.Lines) {
			l.Group = s.cfg.Lines[s.l.at].Group // beside the line shown
		}
		return l
	})
}

// buildLine lays out the form of the line edited.
func (s *settingsEditor) buildLine() {
	f := &s.l
	f.box.RemoveAll()
	names := make([]string, len(s.cfg.Lines))
	for i, l := range s.cfg.Lines {
		names[i] = l.Name
	}
	f.at = min(f.at, max(0, len(names)-1))
	f.pick = itemPicker(names, f.at, func(i int) { f.at = i; s.rebuild() })
	f.box.Add(form(bold("Line"), f.pick))
	if len(s.cfg.Lines) == 0 {
		f.box.Add(widget.NewLabel("No lines yet: add one."))
		f.box.Refresh()
		return
	}
	at := func() int { return f.at }
	ln := func() *line.Line { return &s.cfg.Lines[f.at] }
	f.msgOf = map[string]*widget.Label{}
	msg := func(key string) *widget.Label {
		l := s.msg(line.KindLine, at, key)
		f.msgOf[key] = l
		return l
	}
	grp, _ := s.cfg.Group(ln().Group)

	f.name = s.entryField(widget.NewEntry(), func() string { return ln().Name }, func(v string) { ln().Name = v })
	groups := make([]string, len(s.cfg.Groups))
	gat := -1
	for i, g := range s.cfg.Groups {
		groups[i] = g.Name
		if g.Name == ln().Group {
			gat = i
		}
	}
	// Moving a line to another group changes what the form offers: build it anew.
	f.group = s.pick(groups, gat, func(i int) { ln().Group = s.cfg.Groups[i].Name; s.rebuild() })
	f.box.Add(form(
		bold("Name"), container.NewVBox(f.name, msg("name")),
		bold("Group"), container.NewVBox(f.group, msg("group")),
	))

	acc := func() *line.Account { return &ln().Account }
	f.registrar = s.entryField(widget.NewEntry(), func() string { return acc().Registrar }, func(v string) { acc().Registrar = v })
	f.registrar.SetPlaceHolder("host or host:port")
	f.proxy = s.entryField(widget.NewEntry(), func() string { return acc().Proxy }, func(v string) { acc().Proxy = v })
	f.proxy.SetPlaceHolder("optional outbound proxy, host or host:port")
	f.user = s.entryField(widget.NewEntry(), func() string { return acc().User }, func(v string) { acc().User = v })
	f.authUser = s.entryField(widget.NewEntry(), func() string { return acc().AuthUser }, func(v string) { acc().AuthUser = v })
	f.authUser.SetPlaceHolder("same as user when empty")
	f.password = s.entryField(widget.NewPasswordEntry(), func() string { return acc().Password }, func(v string) { acc().Password = v })
	f.display = s.entryField(widget.NewEntry(), func() string { return acc().DisplayName }, func(v string) { acc().DisplayName = v })
	f.display.SetPlaceHolder("optional, the name callers see")
	f.domain = s.entryField(widget.NewEntry(), func() string { return acc().Domain }, func(v string) { acc().Domain = v })
	f.domain.SetPlaceHolder("optional, when it differs from the registrar's host")
	topts := make([]string, len(transports))
	tat := 0
	for i, t := range transports {
		topts[i] = t.String()
		if t == acc().Transport {
			tat = i
		}
	}
	// TLS adds the CA file to the form: build it anew.
	f.transport = s.pick(topts, tat, func(i int) { acc().Transport = transports[i]; s.rebuild() })
	f.expires = s.intField(numberField{kind: line.KindLine, index: at, name: func() string { return ln().Name },
		key: "account.expires", field: "registration lifetime", rule: "must be a whole number of seconds"},
		func() int { return acc().Expires }, func(v int) { acc().Expires = v })
	f.expires.SetPlaceHolder(fmt.Sprintf("%d seconds (default)", line.DefaultExpires))
	account := []fyne.CanvasObject{
		widget.NewLabel("Registrar"), container.NewVBox(f.registrar, msg("account.registrar")),
		widget.NewLabel("Proxy"), container.NewVBox(f.proxy, msg("account.proxy")),
		widget.NewLabel("User"), container.NewVBox(f.user, msg("account.user")),
		widget.NewLabel("Authentication user"), container.NewVBox(f.authUser, msg("account.auth_user")),
		widget.NewLabel("Password"), container.NewVBox(f.password, msg("account.password")),
		widget.NewLabel("Transport"), container.NewVBox(f.transport, msg("account.transport")),
	}
	f.caFile = nil
	if acc().Transport == line.TransportTLS || acc().CAFile != "" {
		f.caFile = s.entryField(widget.NewEntry(), func() string { return acc().CAFile }, func(v string) { acc().CAFile = v })
		f.caFile.SetPlaceHolder("optional PEM file of extra certificate authorities")
		choose := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { s.chooseFile(f.caFile) })
		// The line server reads CA files when it starts: say so.
		caNote := widget.NewLabel("Read when Lineup starts: restart Lineup after choosing a new one.")
		caNote.SizeName = theme.SizeNameCaptionText
		caNote.Wrapping = fyne.TextWrapWord
		account = append(account, widget.NewLabel("CA file"),
			container.NewVBox(container.NewBorder(nil, nil, nil, choose, f.caFile), caNote, msg("account.ca_file")))
	}
	eopts := make([]string, len(encryptions))
	eat := 0
	for i, e := range encryptions {
		eopts[i] = e.text
		if e.policy == acc().Encryption {
			eat = i
		}
	}
	// Choosing SRTP over plain signalling adds the note on keys: build it anew.
	f.encrypt = s.pick(eopts, eat, func(i int) { acc().Encryption = encryptions[i].policy; s.rebuild() })
	encryptBox := container.NewVBox(f.encrypt, msg("account.encryption"))
	if acc().Encryption != line.EncryptionOff && acc().Transport != line.TransportTLS {
		note := widget.NewLabel("The keys travel in the call set-up: without transport tls anyone who sees it can decrypt the audio.")
		note.SizeName = theme.SizeNameCaptionText
		note.Importance = widget.WarningImportance
		note.Wrapping = fyne.TextWrapWord
		encryptBox.Add(note)
	}
	account = append(account, widget.NewLabel("Media encryption"), encryptBox)
	account = append(account,
		widget.NewLabel("Registration lifetime"), container.NewVBox(f.expires, msg("account.expires")),
		widget.NewLabel("Display name"), container.NewVBox(f.display, msg("account.display_name")),
		widget.NewLabel("Domain"), container.NewVBox(f.domain, msg("account.domain")),
	)
	f.direct = widget.NewCheck("Direct calls to other hosts", nil)
	f.direct.SetChecked(acc().DirectCalls)
	f.direct.OnChanged = func(b bool) { acc().DirectCalls = b; s.changed() }
	directNote := widget.NewLabel("A sip: address of another host is called there, not through the registrar. The line's password is never sent to that host.")
	directNote.SizeName = theme.SizeNameCaptionText
	directNote.Wrapping = fyne.TextWrapWord
	f.box.Add(section("SIP account", "", container.NewVBox(form(account...), f.direct, directNote)))

	f.number = s.entryField(widget.NewEntry(), func() string { return ln().Number }, func(v string) { ln().Number = v })
	numberNote := widget.NewLabel("")
	numberNote.Importance = widget.LowImportance
	if grp != nil && grp.AutoNumbers {
		f.number.Disable()
		numberNote.SetText("The group sets numbers automatically from the registration.")
	} else {
		numberNote.Hide()
	}
	rows := []fyne.CanvasObject{widget.NewLabel("Manual number"), container.NewVBox(f.number, numberNote, msg("number"))}
	f.location = nil
	if grp != nil && grp.PerLineLocation {
		lopts, lat := s.locationOptions(ln().Location)
		f.location = s.pick(lopts, lat, func(i int) {
			ln().Location = ""
			if i > 0 {
				ln().Location = s.cfg.Locations[i-1].Name
			}
		})
		rows = append(rows, widget.NewLabel("Location"), container.NewVBox(f.location, msg("location")))
	}
	f.journal = widget.NewCheck("Journal", nil)
	f.journal.SetChecked(ln().Journal)
	f.journal.OnChanged = func(b bool) { ln().Journal = b; s.changed() }
	if grp != nil && grp.JournalAll {
		f.journal.SetText("Journal (the group journals all lines)")
	}
	f.enabled = widget.NewCheck("Use line", nil)
	f.enabled.SetChecked(ln().Enabled())
	f.enabled.OnChanged = func(b bool) { ln().Disabled = !b; s.changed() }
	f.box.Add(section("Number and use", "", container.NewVBox(form(rows...), f.journal, f.enabled)))

	f.now = widget.NewLabel(s.nowRule(ln().Name))
	f.now.Wrapping = fyne.TextWrapWord
	f.box.Add(section("What happens now", "A call arriving now, as last saved", f.now))
	f.box.Refresh()
}

// nowRule is what the line server says a call arriving on the line now would get.
func (s *settingsEditor) nowRule(lineName string) string {
	if l, ok := s.u.line(lineName); ok {
		if t := nowText(l.Incoming); t != "" {
			return t
		}
	}
	return "Not known until the line is saved."
}
