package sip

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMessageSummary(t *testing.T) {
	body := "Messages-Waiting: yes\r\nMessage-Account: sip:201@pbx.example.com\r\nVoice-Message: 2/5 (1/0)\r\nFax-Message: 1/1\r\n"
	m, err := ParseMessageSummary([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := MessageSummary{Waiting: true, Account: "sip:201@pbx.example.com", New: 2, Old: 5, NewUrgent: 1}
	if m != want {
		t.Fatalf("got %+v, want %+v", m, want)
	}
	back, err := ParseMessageSummary(m.Marshal())
	if err != nil || back != m {
		t.Fatalf("round trip: %+v %v, want %+v", back, err, m)
	}
	m, err = ParseMessageSummary([]byte("messages-waiting:NO\n"))
	if err != nil || m != (MessageSummary{}) {
		t.Fatalf("bare no: %+v %v", m, err)
	}
}

func TestParseMessageSummaryRefusesHostileBodies(t *testing.T) {
	for name, body := range map[string]string{
		"empty":                   "",
		"no waiting line":         "Voice-Message: 1/2\r\n",
		"waiting maybe":           "Messages-Waiting: maybe\r\n",
		"no colon":                "Messages-Waiting yes\r\n",
		"negative count":          "Messages-Waiting: yes\r\nVoice-Message: -1/2\r\n",
		"huge count":              "Messages-Waiting: yes\r\nVoice-Message: 99999999999999999999/2\r\n",
		"count over a million":    "Messages-Waiting: yes\r\nVoice-Message: 1000001/2\r\n",
		"no slash":                "Messages-Waiting: yes\r\nVoice-Message: 12\r\n",
		"unclosed urgent":         "Messages-Waiting: yes\r\nVoice-Message: 1/2 (0/0\r\n",
		"junk after urgent":       "Messages-Waiting: yes\r\nVoice-Message: 1/2 (0/0) x\r\n",
		"hex count":               "Messages-Waiting: yes\r\nVoice-Message: 0x10/2\r\n",
		"too long":                "Messages-Waiting: yes\r\n" + strings.Repeat("X-Pad: aaaaaaaa\r\n", 1000),
		"NUL in the waiting line": "Messages-Waiting: y\x00es\r\n",
	} {
		if m, err := ParseMessageSummary([]byte(body)); !errors.Is(err, ErrBadMessageSummary) {
			t.Errorf("%s: got %+v, %v; want ErrBadMessageSummary", name, m, err)
		}
	}
}

func FuzzParseMessageSummary(f *testing.F) {
	f.Add([]byte("Messages-Waiting: yes\r\nVoice-Message: 2/5 (1/0)\r\n"))
	f.Add([]byte("Messages-Waiting: no\r\nMessage-Account: sip:a@b\r\n"))
	f.Add([]byte("Messages-Waiting: yes\r\nVoice-Message: (/)/(\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessageSummary(body)
		if err != nil {
			if !errors.Is(err, ErrBadMessageSummary) {
				t.Fatalf("error %v does not wrap ErrBadMessageSummary", err)
			}
			return
		}
		if m.New < 0 || m.Old < 0 || m.NewUrgent < 0 || m.OldUrgent < 0 || m.New > maxMessageCount || m.Old > maxMessageCount {
			t.Fatalf("counts out of range: %+v", m)
		}
		back, err := ParseMessageSummary(m.Marshal())
		if err != nil || back.Waiting != m.Waiting || back.New != m.New || back.Old != m.Old {
			t.Fatalf("round trip of %+v: %+v %v", m, back, err)
		}
	})
}

const dialogInfoRinging = `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:202@127.0.0.1">
  <dialog id="abc" call-id="c1@x" local-tag="l" remote-tag="r" direction="recipient">
    <state>early</state>
    <remote><identity>sip:203@127.0.0.1</identity></remote>
  </dialog>
</dialog-info>`

func TestParseDialogInfoAndActivity(t *testing.T) {
	di, err := ParseDialogInfo([]byte(dialogInfoRinging))
	if err != nil {
		t.Fatal(err)
	}
	if di.Entity != "sip:202@127.0.0.1" || !di.Full || di.Version != 3 || len(di.Dialogs) != 1 {
		t.Fatalf("got %+v", di)
	}
	d := di.Dialogs[0]
	if d.ID != "abc" || d.CallID != "c1@x" || d.Direction != "recipient" || d.State != "early" || d.Remote != "sip:203@127.0.0.1" {
		t.Fatalf("dialog %+v", d)
	}
	var s DialogSet
	if s.Activity() != ActivityIdle {
		t.Fatal("an empty set is not idle")
	}
	s.Apply(di)
	if s.Activity() != ActivityRinging {
		t.Fatalf("early recipient: %v, want ringing", s.Activity())
	}
	confirmed := strings.Replace(strings.Replace(dialogInfoRinging, "early", "confirmed", 1), `version="3"`, `version="4"`, 1)
	di, _ = ParseDialogInfo([]byte(confirmed))
	s.Apply(di)
	if s.Activity() != ActivityBusy {
		t.Fatalf("confirmed: %v, want busy", s.Activity())
	}
	// An older document is ignored.
	di, _ = ParseDialogInfo([]byte(dialogInfoRinging))
	s.Apply(di)
	if s.Activity() != ActivityBusy {
		t.Fatalf("after an old version: %v, want busy", s.Activity())
	}
	ended := `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="5" state="partial" entity="sip:202@x"><dialog id="abc"><state>terminated</state></dialog></dialog-info>`
	di, err = ParseDialogInfo([]byte(ended))
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(di)
	if s.Activity() != ActivityIdle {
		t.Fatalf("terminated: %v, want idle", s.Activity())
	}
	calling := strings.Replace(dialogInfoRinging, "recipient", "initiator", 1)
	di, _ = ParseDialogInfo([]byte(strings.Replace(calling, `version="3"`, `version="6"`, 1)))
	s.Apply(di)
	if s.Activity() != ActivityBusy {
		t.Fatalf("calling out: %v, want busy", s.Activity())
	}
	empty := `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="7" state="full" entity="sip:202@x"/>`
	di, _ = ParseDialogInfo([]byte(empty))
	s.Apply(di)
	if s.Activity() != ActivityIdle {
		t.Fatalf("empty full: %v, want idle", s.Activity())
	}
}

func TestParseDialogInfoRefusesHostileDocuments(t *testing.T) {
	for name, body := range map[string]string{
		"empty":          "",
		"not xml":        "Messages-Waiting: yes",
		"other root":     `<presence version="1"/>`,
		"no version":     `<dialog-info state="full"/>`,
		"bad state":      `<dialog-info version="1"><dialog id="a"><state>exploded</state></dialog></dialog-info>`,
		"no id":          `<dialog-info version="1"><dialog><state>early</state></dialog></dialog-info>`,
		"unclosed":       `<dialog-info version="1"><dialog id="a"><state>early</state>`,
		"entity bomb":    `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><dialog-info version="1"><dialog id="&b;"><state>early</state></dialog></dialog-info>`,
		"too many":       `<dialog-info version="1">` + strings.Repeat(`<dialog id="a"><state>early</state></dialog>`, maxDialogs+1) + `</dialog-info>`,
		"too long":       `<dialog-info version="1">` + strings.Repeat(" ", maxDialogInfo) + `</dialog-info>`,
		"deep nesting":   `<dialog-info version="1">` + strings.Repeat("<x>", 5000) + strings.Repeat("</x>", 5000) + `</dialog-info>`,
		"huge version":   `<dialog-info version="999999999999999999999999"/>`,
		"negative vers.": `<dialog-info version="-1"/>`,
	} {
		if di, err := ParseDialogInfo([]byte(body)); !errors.Is(err, ErrBadDialogInfo) {
			t.Errorf("%s: got %+v, %v; want ErrBadDialogInfo", name, di, err)
		}
	}
}

func FuzzParseDialogInfo(f *testing.F) {
	f.Add([]byte(dialogInfoRinging))
	f.Add([]byte(`<dialog-info version="1" state="partial"><dialog id="a" direction="initiator"><state>confirmed</state></dialog></dialog-info>`))
	f.Add([]byte(`<dialog-info version="1"><dialog id="a"><state>early</state><remote><identity>sip:x@y</identity></remote></dialog></dialog-info>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		di, err := ParseDialogInfo(body)
		if err != nil {
			if !errors.Is(err, ErrBadDialogInfo) {
				t.Fatalf("error %v does not wrap ErrBadDialogInfo", err)
			}
			return
		}
		if len(di.Dialogs) > maxDialogs {
			t.Fatalf("%d dialogs", len(di.Dialogs))
		}
		var s DialogSet
		s.Apply(di)
		if a := s.Activity(); a < ActivityIdle || a > ActivityBusy {
			t.Fatalf("activity %d", a)
		}
	})
}
