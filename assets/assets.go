// Package assets holds the files built into the Lineup binary: the application icon and the
// icons the desktop UI draws (themed: their black is recoloured to the theme's foreground), and
// the demo set-up under demo/ that `make demo` imports.
package assets

import _ "embed"

// Icon is the application icon (PNG, 256×256), also shown in the system tray.
//
//go:embed icon.png
var Icon []byte

// Phone is a telephone handset (SVG), the icon of the Call button and of call entries.
//
//go:embed phone.svg
var Phone []byte

// Lock is a padlock (SVG), shown in a call window while the call's audio is encrypted.
//
//go:embed lock.svg
var Lock []byte
