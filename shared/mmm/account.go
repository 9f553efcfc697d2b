package mmm

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Account name rules: what a portal accepts as the name of a new account
// (CreateRequest) and reports in a ValidateResponse. shared/policy applies
// the same rules on every client before it asks the portal.
const (
	// MinAccount is the fewest characters (code points) of an account
	// name.
	MinAccount = 1
	// MaxAccount is the most characters of an account name.
	MaxAccount = 64
	// AccountInvalidCharacters are the characters an account name may not
	// hold, beside spaces and unprintable characters.
	AccountInvalidCharacters = ".,:;{}()[]<>?|\\@#"
)

// AccountProblem returns why name may not name a new account, worded to
// follow "the account name" ("is empty", "holds ' ', which is not
// allowed"), or "" if it may: valid UTF-8, MinAccount to MaxAccount
// characters, none of AccountInvalidCharacters, no space
// (unicode.IsSpace) and nothing unprintable (unicode.IsPrint). Portals
// compare names case-folded but keep them as given; nothing is trimmed.
func AccountProblem(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case name == "":
		return "is empty"
	case !utf8.ValidString(name):
		return "is not valid UTF-8"
	case n < MinAccount:
		return fmt.Sprintf("is shorter than %d characters", MinAccount)
	case n > MaxAccount:
		return fmt.Sprintf("is longer than %d characters", MaxAccount)
	}
	for _, c := range name {
		if strings.ContainsRune(AccountInvalidCharacters, c) || unicode.IsSpace(c) || !unicode.IsPrint(c) {
			return fmt.Sprintf("holds %q, which is not allowed", c)
		}
	}
	return ""
}
