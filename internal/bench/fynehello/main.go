// Command fynehello is the floor the desktop app's benchmark (BenchmarkGUI in cmd/lineup) compares
// Lineup with: the smallest Fyne program, one window of Lineup's size with one label in it and
// nothing else (no line server, no timers, no other windows). Whatever it costs while idle is
// what Fyne itself costs on that display; what Lineup costs above it is Lineup's own.
//
// Usage:
//
//	go build -o fynehello ./internal/bench/fynehello && DISPLAY=:99 ./fynehello
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

// title is the window's title, by which the benchmark finds it on the screen.
const title = "Fyne hello"

func main() {
	a := app.NewWithID("com.github.lineupphone.lineup.fynehello")
	w := a.NewWindow(title)
	w.SetContent(widget.NewLabel("Hello from Fyne"))
	w.Resize(fyne.NewSize(480, 640))
	w.ShowAndRun()
}
