package memo

import "testing"

func TestCacheBounded(t *testing.T) {
	c := New[*int](2)
	a, b, d := Key{1}, Key{2}, Key{3}
	va, vb, vd := new(int), new(int), new(int)
	c.Put(a, va)
	c.Put(b, vb)
	c.Put(a, vd) // already there: kept as is
	if v, ok := c.Get(a); !ok || v != va {
		t.Fatal("a lost or replaced")
	}
	c.Put(d, vd) // evicts the oldest, a
	if _, ok := c.Get(a); ok {
		t.Error("a still cached past the bound")
	}
	if v, ok := c.Get(b); !ok || v != vb {
		t.Error("b lost")
	}
	if v, ok := c.Get(d); !ok || v != vd {
		t.Error("d lost")
	}
	if c.Len() != 2 {
		t.Errorf("Len %d, want 2", c.Len())
	}
}

func TestNilCacheHoldsNothing(t *testing.T) {
	var c *Cache[int]
	c.Put(Key{1}, 1)
	if _, ok := c.Get(Key{1}); ok || c.Len() != 0 {
		t.Error("a nil Cache kept a value")
	}
}

func TestSumSeparatesParts(t *testing.T) {
	if Sum("ab", "c") == Sum("a", "bc") {
		t.Error(`Sum("ab", "c") == Sum("a", "bc")`)
	}
	if Sum("a", "") == Sum("a") {
		t.Error(`Sum("a", "") == Sum("a")`)
	}
	if a, b := Sum("x", "y"), Sum("x", "y"); a != b {
		t.Error("Sum is not deterministic")
	}
}
