//go:build unix && !js

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runtimePID finds, among the processes of wrangler's group pgid, the
// workerd that runs the worker (and local D1): the one started with an
// inspector. wrangler's other workerd runs its proxy worker, which only
// local development has.
func runtimePID(pgid int) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err != nil || g != pgid {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(cmdline, []byte{0})
		if strings.HasSuffix(string(args[0]), "workerd") && bytes.Contains(cmdline, []byte("--inspector-addr")) {
			return pid, nil
		}
	}
	return 0, errors.New("no workerd with an inspector in wrangler's process group")
}

// threads returns the CPU time each thread of pid has run, from
// /proc/PID/task/TID/schedstat (in ns, unlike the 10 ms ticks of
// /proc/PID/stat).
func threads(pid int) (map[string]time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("no threads of process %d: %v", pid, err)
	}
	out := map[string]time.Duration{}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just ended
		}
		var ns int64
		if _, err := fmt.Sscanf(string(b), "%d", &ns); err != nil {
			return nil, fmt.Errorf("%s: %v", t, err)
		}
		out[filepath.Base(filepath.Dir(t))] = time.Duration(ns)
	}
	return out, nil
}

// selfCPU returns this process's user and system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// since returns the CPU time a process's threads ran between two counts.
func since(before, after map[string]time.Duration) time.Duration {
	var total time.Duration
	for tid, a := range after {
		total += a - before[tid]
	}
	return total
}

// listening returns the loopback TCP ports process pid listens on (from
// /proc/net/tcp and the process's socket descriptors).
func listening(pid int) ([]int, error) {
	fds, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	if err != nil {
		return nil, err
	}
	sockets := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && strings.HasPrefix(l, "socket:[") {
			sockets[strings.Trim(l[len("socket:"):], "[]")] = true
		}
	}
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	var ports []int
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		// sl local_address rem_address st … inode
		if len(f) < 10 || f[3] != "0A" || !sockets[f[9]] {
			continue
		}
		_, port, ok := strings.Cut(f[1], ":")
		if p, err := strconv.ParseInt(port, 16, 32); ok && err == nil {
			ports = append(ports, int(p))
		}
	}
	return ports, nil
}
