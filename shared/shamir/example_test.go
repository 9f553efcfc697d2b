package shamir_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"log"

	"github.com/meshpass/meshpass/shared/shamir"
)

func Example() {
	// A 256-bit key to put in escrow.
	key := make([]byte, 32)
	rand.Read(key)

	// Any 2 of 3 shares recover the key.
	shares, err := shamir.Split(key, 2, 3)
	if err != nil {
		log.Fatal(err)
	}

	// Each share is written down in its text form...
	written := make([]string, len(shares))
	for i, s := range shares {
		written[i] = s.String()
	}

	// ...and later two of them are typed back, in any order and case.
	var typed []shamir.Share
	for _, text := range []string{written[2], written[0]} {
		s, err := shamir.ParseShare(text)
		if err != nil {
			log.Fatal(err)
		}
		typed = append(typed, s)
	}

	recovered, err := shamir.Combine(typed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("threshold:", typed[0].Threshold())
	fmt.Println("text length:", len(written[0]))
	fmt.Println("recovered:", bytes.Equal(recovered, key))
	// Output:
	// threshold: 2
	// text length: 82
	// recovered: true
}
