//go:build unix && !js

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/translog"
)

func main() {
	skey, vkey, _ := translog.GenerateKey("bench/log")
	w, err := workerd.Start(workerd.Options{Inspector: true, Vars: map[string]string{
		"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey, "RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0", "CREATES_PER_HOUR": "0",
	}})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer w.Stop()
	fmt.Println(w.URL, w.Inspector)
	for _, p := range []string{"/json", "/json/list", "/json/version"} {
		r, err := http.Get(w.Inspector + p)
		if err != nil {
			fmt.Println(err)
			continue
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Println(p, string(b))
	}
	out, _ := exec.Command("bash", "-c", "ps -eo pid,ppid,pgid,args | grep -E 'wrangler|workerd' | grep -v grep | cut -c1-250").CombinedOutput()
	fmt.Println(string(out))
	time.Sleep(time.Second)
}
