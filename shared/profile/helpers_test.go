package profile_test

import "github.com/meshpass/meshpass/shared/jws"

var jwsSign = jws.Sign
