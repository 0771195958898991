// Package ui owns Lineup's desktop windows and widgets (Fyne): the main window with the lines by
// group, line menus, conversation windows, the settings editors and the journal view.
//
// It reaches the line server only through the same interface the local API serves, and one bridge
// file is the only place that turns engine events into fyne.Do updates. The line server reports
// codes and causes (a registration's status, line.Decision); words.go turns them into sentences.
package ui

import _ "github.com/lineupphone/lineup/ui/internal/plainlocale" // before Fyne reads the locale
