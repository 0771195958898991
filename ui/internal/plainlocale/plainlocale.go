// Package plainlocale keeps Fyne quiet under the plain C locale. With LANG (or LC_ALL,
// LC_MESSAGES) set to a C locale with an encoding, such as C.UTF-8 on Debian and in containers,
// Fyne 2.7 reads the language "C", which is no language tag, and logs "Error parsing user locale
// C" from its package initialisation: on every run of every lineup command. This package's init
// sets LANGUAGE=en in that case (and only when LANGUAGE is unset), which Fyne's locale lookup
// prefers and which means what C means: untranslated English.
//
// It must be initialised before fyne.io/fyne/v2/lang. Go initialises ready packages in import
// path order, and this one needs only os and strings, which are ready long before Fyne's
// language package (it waits for golang.org/x/text), so importing it from package ui is enough.
package plainlocale

import (
	"os"
	"strings"
)

func init() { apply(os.Getenv, os.Setenv) }

// apply sets LANGUAGE=en when the effective locale is C or POSIX with an encoding or modifier.
func apply(getenv func(string) string, setenv func(string, string) error) {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		name := v
		if i := strings.IndexAny(v, ".@"); i >= 0 {
			name = v[:i]
		}
		if (name == "C" || name == "POSIX") && name != v && getenv("LANGUAGE") == "" {
			_ = setenv("LANGUAGE", "en")
		}
		return
	}
}
