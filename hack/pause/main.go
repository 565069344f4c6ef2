// Command pause is the sandbox ("infra") container of the local cluster's Pods: it holds the
// Pod's namespaces open and does nothing else. registry.k8s.io is not reachable from the
// machines the cluster runs on, so the cluster builds this one itself.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		// With a shared PID namespace the sandbox is PID 1 and inherits orphans; reap them so
		// they do not pile up as zombies.
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
