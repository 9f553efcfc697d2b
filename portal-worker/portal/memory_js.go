//go:build js

package portal

// answerCacheBytes is about how many bytes of encoded Get answers a
// portal keeps: little in a Workers isolate, which has 128 MB for
// everything (the Go heap, requests waiting for a slot, the caches).
const answerCacheBytes = 4 << 20
