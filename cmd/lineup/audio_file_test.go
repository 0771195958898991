package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/media"
)

// A headless `lineup serve --audio tone:440 --audio-record DIR` calls baresip, which sends
// 1000 Hz: baresip hears Lineup's 440 Hz, and Lineup's recording of the call holds baresip's
// 1000 Hz. No sound card is involved: the real binary's audio is checked end to end.
func TestServeFileSoundCallsBaresip(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "301", Password: "pw-301"},
	}})
	bs := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx,
		Codecs: []string{"G722"}, AutoAnswer: true, ToneHz: 1000})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	rec := filepath.Join(t.TempDir(), "calls")
	s := startServe(t, data, "--api", "127.0.0.1:0", "--audio", "tone:440", "--audio-record", rec)
	s.wait(t, `msg="local api listening"`, 1)
	s.wait(t, `msg="line registered"`, 2)

	if out, errOut, code := lineup(t, "--data", data, "dial", "301", "--line", "Alice"); code != 0 {
		t.Fatalf("dial: exit %d: %s%s", code, out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := bs.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := bs.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	s.wait(t, `msg="call ended"`, 1)
	s.stop(t)

	files, _ := filepath.Glob(filepath.Join(rec, "*.wav"))
	if len(files) != 1 || !strings.HasSuffix(files[0], "-16000hz.wav") {
		t.Fatalf("recordings %v, want one of the G.722 call at 16000 Hz", files)
	}
	pcm, rate, err := baresiptest.ReadWAV(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if rate != 16000 || len(pcm) < rate {
		t.Fatalf("Lineup recorded %d samples at %d Hz, want more than a second at 16000", len(pcm), rate)
	}
	part := pcm[rate/2:]
	if r := media.ToneRatio(part, rate, 1000); r < 0.5 {
		t.Errorf("Lineup's recording holds baresip's 1000 Hz at %.2f, want > 0.5", r)
	}
	if r := media.ToneRatio(part, rate, 440); r > 0.1 {
		t.Errorf("Lineup's recording holds its own 440 Hz at %.2f, want < 0.1", r)
	}
	path, err := bs.RecordingDec()
	if err != nil {
		t.Fatal(err)
	}
	heard, brate, err := baresiptest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := media.ToneRatio(heard[brate/2:], brate, 440); r < 0.5 {
		t.Errorf("baresip heard Lineup's 440 Hz at %.2f, want > 0.5", r)
	}
}

// A file sound that cannot be used is refused before anything starts, naming the problem.
func TestServeFileSoundRefusesBadModes(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--audio", "tone:5"}, "20 to 7000 Hz"},
		{[]string{"--audio", "wav:" + filepath.Join(t.TempDir(), "none.wav")}, "no such file"},
		{[]string{"--audio", "null", "--audio-record", t.TempDir()}, "--audio-record needs --audio tone:HZ or wav:FILE"},
		{[]string{"--audio", "beep"}, "want system, null, none, tone:HZ or wav:FILE"},
	} {
		_, errOut, code := lineup(t, append([]string{"--data", data, "serve", "--sip-listen", "127.0.0.1"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.says) {
			t.Errorf("serve %v: exit %d, %q; want an error saying %q", c.args, code, errOut, c.says)
		}
	}
}
