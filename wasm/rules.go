package main

import (
	"context"

	"github.com/meshpass/meshpass/shared/passgen"
	"github.com/meshpass/meshpass/shared/policy"
	"github.com/meshpass/meshpass/wasm/api"
)

// The input rules (shared/policy) and the password generator
// (shared/passgen), for the popup to check forms against the same rules
// the core enforces. None of them needs keys.

func rules(ctx context.Context, _ api.Empty) (api.Rules, error) {
	return api.Rules{
		PassphraseMin:    policy.MinPassphrase,
		SharesMin:        policy.MinShares,
		SharesMax:        policy.MaxShares,
		ThresholdMin:     policy.MinShares,
		GeneratorMin:     passgen.MinLength,
		GeneratorMax:     passgen.MaxLength,
		GeneratorDefault: passgen.DefaultLength,
	}, nil
}

func generatePassword(ctx context.Context, arg api.GenerateArg) (api.Generated, error) {
	o := passgen.Options{Length: arg.Length, Lower: arg.Lower, Upper: arg.Upper, Digits: arg.Digits,
		Symbols: arg.Symbols, AvoidAmbiguous: arg.AvoidAmbiguous}
	pw, err := passgen.Generate(o) // its errors are bad requests (bridge.Code)
	if err != nil {
		return api.Generated{}, err
	}
	return api.Generated{Password: pw}, nil
}

// verdict is the Verdict for a check's error.
func verdict(err error) api.Verdict {
	if err != nil {
		return api.Verdict{Reason: err.Error()}
	}
	return api.Verdict{OK: true}
}

func checkPassphrase(ctx context.Context, arg api.PassphraseCheck) (api.Verdict, error) {
	return verdict(policy.CheckPassphrase(arg.Passphrase)), nil
}

func checkShares(ctx context.Context, arg api.SharesCheck) (api.Verdict, error) {
	return verdict(policy.CheckShares(arg.Threshold, arg.Shares)), nil
}

func checkSite(ctx context.Context, arg api.SiteCheck) (api.SiteVerdict, error) {
	site, err := policy.CheckSite(arg.Site)
	if err != nil {
		return api.SiteVerdict{Reason: err.Error()}, nil
	}
	return api.SiteVerdict{OK: true, Site: site}, nil
}

func checkAccount(ctx context.Context, arg api.AccountCheck) (api.AccountVerdict, error) {
	account, err := policy.CheckAccount(arg.Account)
	if err != nil {
		return api.AccountVerdict{Reason: err.Error()}, nil
	}
	return api.AccountVerdict{OK: true, Account: account}, nil
}
