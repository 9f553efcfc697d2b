//go:build unix && !js

package workers_test

import (
	"fmt"
	"hash/fnv"
	"os"
	"testing"

	"github.com/meshpass/meshpass/portal-worker/workers/workerd"
	"github.com/meshpass/meshpass/shared/profile/profiletest"
	"github.com/meshpass/meshpass/shared/translog"
)

// BenchmarkShards is the simulation docs/scale.md cites: accounts spread
// over N shards, each shard a worker with its own D1 database (and here
// its own log), an account's requests routed to the shard its name hashes
// to. 32 clients publish password profile versions, each for its own
// account; the aggregate throughput shows what one shard sustains and how
// it grows with N — up to the cores this machine has, each local shard
// being one workerd isolate (on Cloudflare each shard's isolates and D1
// database run on machines of their own). What it leaves out, the one
// transparency log over every shard (a sequencer committing the shards'
// heads once an epoch), is described in docs/scale.md.
func BenchmarkShards(b *testing.B) {
	if os.Getenv("MESHPASS_SKIP_WORKERD") == "1" {
		b.Skip("MESHPASS_SKIP_WORKERD=1")
	}
	root, err := workerd.RepoRoot()
	if err == nil {
		err = workerd.Build(root)
	}
	if err != nil {
		b.Fatal(err)
	}
	const clients = 32
	var shards []string
	for _, n := range []int{1, 2, 4} {
		for len(shards) < n {
			skey, vkey, _ := translog.GenerateKey(fmt.Sprintf("shard%d/log", len(shards)))
			w, err := workerd.Start(workerd.Options{Vars: map[string]string{
				"LOG_SIGNING_KEY": skey, "LOG_VERIFIER_KEY": vkey, "RATE_PER_IP": "0", "RATE_PER_ACCOUNT": "0", "CREATES_PER_HOUR": "0",
			}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(w.Stop)
			shards = append(shards, w.URL)
		}
		b.Run(fmt.Sprintf("shards=%d", n), func(b *testing.B) {
			urls := make([]string, clients)
			people := make([]*profiletest.Person, clients)
			for c := range clients {
				h := fnv.New32a()
				fmt.Fprintf(h, "client%d", c)
				urls[c] = shards[int(h.Sum32())%n]
				_, people[c] = account(b, urls[c])
			}
			bodies, _ := publishBodies(b, people)
			loadRouted(b, func(c int) string { return urls[c] }, clients, func(i int) []byte { return bodies[i] })
		})
	}
}
