//go:build !js

package portal

// answerCacheBytes is about how many bytes of encoded Get answers a
// portal keeps.
const answerCacheBytes = 32 << 20
