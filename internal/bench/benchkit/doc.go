// Package benchkit holds what the benchmark programs under internal/bench share: Main, which runs
// a benchmark until Ctrl-C; child processes with their output read line by line (Child); the
// /proc figures they report (peak RSS, CPU time, UDP receive-buffer drops); the parser of the
// line server's slog text lines (LogFields); the preparation of the lineup binary (LineupBinary,
// ProvisionImport); and the table of runs with their medians beside the goals (PrintTable). It is
// Linux-minded: where /proc is missing, the figures read as unknown rather than failing.
package benchkit
