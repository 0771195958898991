package line

import "testing"

func TestKeepPasswords(t *testing.T) {
	acct := func(reg, user, pw string) Account { return Account{Registrar: reg, User: user, Password: pw} }
	old := Config{Lines: []Line{
		{Name: "Alice", Account: acct("pbx", "201", "old-201")},
		{Name: "Ben", Account: acct("pbx", "202", "old-202")},
		{Name: "Cleo", Account: acct("pbx", "203", "old-203")},
	}}
	next := Config{Lines: []Line{
		{Name: "alice ", Account: acct("pbx", "201", "")},     // same line: kept
		{Name: "Ben", Account: acct("pbx", "202", "new-202")}, // a new password wins
		{Name: "Cleo", Account: acct("other", "203", "")},     // another registrar: none
		{Name: "Dora", Account: acct("pbx", "204", "")},       // a new line: none
	}}
	old.Lines = append(old.Lines, Line{Name: "Eve", Account: acct("pbx", "205", "old-205")})
	moved := acct("pbx", "205", "")
	moved.Proxy = "rogue.example" // same registrar and user, another first hop: none
	next.Lines = append(next.Lines, Line{Name: "Eve", Account: moved})
	got, kept := KeepPasswords(next, old)
	want := []string{"old-201", "new-202", "", "", ""}
	for i, l := range got.Lines {
		if l.Account.Password != want[i] {
			t.Errorf("%s: password %q, want %q", l.Name, l.Account.Password, want[i])
		}
	}
	if kept != 1 || next.Lines[0].Account.Password != "" {
		t.Errorf("kept %d (want 1); the input changed: %q", kept, next.Lines[0].Account.Password)
	}
	bare := WithoutPasswords(old)
	for _, l := range bare.Lines {
		if l.Account.Password != "" {
			t.Errorf("%s keeps its password", l.Name)
		}
	}
	if old.Lines[0].Account.Password != "old-201" {
		t.Error("WithoutPasswords changed its input")
	}
}
