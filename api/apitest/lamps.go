package apitest

import (
	"context"
	"fmt"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// Lamps: the test sets what the phone system says of a line's mailbox and of the group's
// monitored extensions; lines show it. Until set, a line shows no voicemail (Known false) and
// every monitored extension of its group unknown.

// SetVoicemail sets the line's voicemail lamp and tells the sessions.
func (p *Phone) SetVoicemail(lineName string, v api.Voicemail) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.lines[lineName]; !ok {
		return fmt.Errorf("line %q: %w", lineName, api.ErrNoLine)
	}
	if p.voicemail == nil {
		p.voicemail = map[string]api.Voicemail{}
	}
	p.voicemail[lineName] = v
	p.publishLine(lineName)
	return nil
}

// SetLamp sets what a monitored extension of group is doing and tells the sessions of the
// group's lines.
func (p *Phone) SetLamp(group, extension string, st api.LampState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lamps == nil {
		p.lamps = map[string]api.LampState{}
	}
	p.lamps[group+"\x00"+extension] = st
	for _, l := range p.cfg.Lines {
		if l.Group == group {
			p.publishLine(l.Name)
		}
	}
}

// lampsView fills the line's lamps; p.mu is held.
func (p *Phone) lampsView(v *api.Line) {
	v.Voicemail = p.voicemail[v.Name]
	for _, ext := range p.group(v.Name).Monitored {
		v.Lamps = append(v.Lamps, api.Lamp{Extension: ext, State: p.lamps[v.Group+"\x00"+ext]})
	}
}

// Voicemail dials the group's voicemail number verbatim.
func (s *Session) Voicemail(ctx context.Context, lineName string) (api.Call, error) {
	if err := s.begin("Voicemail", lineName, ""); err != nil {
		return api.Call{}, err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncVoicemail); err != nil {
		return api.Call{}, fmt.Errorf("voicemail: %w", err)
	}
	code := s.p.group(lineName).Voicemail
	return s.outgoing(lineName, code, code, "voicemail"), nil
}
